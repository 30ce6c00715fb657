"""The diner kinds in one table: name, default weight, and the Locust user class that plays it.

Options, profiles, capacity, compose and the locustfile all read this table. The class is named by
"module:Class" and imported only when Locust needs it, so the harness reads the table without Locust.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class DinerKind:
    name: str        # the `kind` of its user class, in ledger entries and --mix
    weight: float    # its share of the default mix
    user: str        # "module:Class", a scenarios.diners.base.DinerUser subclass
    story: str       # one line: who this diner is

    def user_class(self) -> type:
        module, _, cls = self.user.partition(":")
        return getattr(importlib.import_module(module), cls)


KINDS: dict[str, DinerKind] = {k.name: k for k in (
    DinerKind("dine_in", 4, "scenarios.diners.dine_in:DineIn",
              "scans the table's QR code, orders for the table, pays at the table"),
    DinerKind("takeaway", 3, "scenarios.diners.takeaway:Takeaway",
              "orders and pays in the app, with the menu cached in the app"),
    DinerKind("impatient", 2, "scenarios.diners.impatient:Impatient",
              "double-taps submit and hammers pay on a slow answer"),
    DinerKind("pos", 1, "scenarios.diners.pos:CounterPOS",
              "a counter till that keeps ringing up orders offline and syncs when the link returns"),
)}


def default_mix() -> str:
    """The default weights as `--mix` text: `dine_in=4,takeaway=3,...`."""
    return ",".join(f"{k.name}={k.weight:g}" for k in KINDS.values())


def user_classes() -> dict[str, type]:
    """Every registered kind's Locust user class by class name (what a locustfile exposes to Locust)."""
    return {cls.__name__: cls for cls in (k.user_class() for k in KINDS.values())}
