"""The diner kinds, one module each, registered in one table (kind name → Locust user class)."""
from __future__ import annotations

from scenarios.diners.base import DinerUser
from scenarios.diners.dine_in import DineIn
from scenarios.diners.impatient import Impatient
from scenarios.diners.pos import CounterPOS
from scenarios.diners.takeaway import Takeaway

KINDS: dict[str, type[DinerUser]] = {cls.kind: cls for cls in (DineIn, Takeaway, Impatient, CounterPOS)}

__all__ = ["KINDS", "DinerUser", "DineIn", "Takeaway", "Impatient", "CounterPOS"]
