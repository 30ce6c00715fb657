"""dinerush diners for Locust: `locust -f scenarios/locustfile.py --host <orders API>` (web UI or --headless).

Options (see `locust -f scenarios/locustfile.py --help`, group "dinerush"): --dinerush-seed, --dinerush-ledger,
--dinerush-shape none|lunch_rush|dinner_rush|flash_sale|steps|soak, --dinerush-mix, --dinerush-peak-users,
--dinerush-place-timeout, --dinerush-pay-timeout, ... Works with --processes N and --master/--worker.
"""
from __future__ import annotations

from locust import events

from scenarios.diners import CounterPOS, DineIn, Impatient, Takeaway  # noqa: F401  (Locust finds the classes here)
from scenarios.run import install
from scenarios.locust_shape import DinerushShape  # noqa: F401  (dropped at init when --dinerush-shape none)

install(events)
