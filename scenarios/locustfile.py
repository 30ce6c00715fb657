"""dinerush diners for Locust: `locust -f scenarios/locustfile.py --host <orders API>` (web UI or --headless).

Options (see `locust -f scenarios/locustfile.py --help`, group "dinerush"): --dinerush-seed, --dinerush-ledger,
--dinerush-shape none|lunch_rush|dinner_rush|flash_sale|steps|soak, --dinerush-mix, --dinerush-peak-users,
--dinerush-place-timeout, --dinerush-pay-timeout, ... Works with --processes N and --master/--worker.
"""
from __future__ import annotations

from locust import events

from scenarios.diners.kinds import user_classes
from scenarios.locust_wiring import install
from scenarios.locust_shape import DinerushShape  # noqa: F401  (dropped at init when --dinerush-shape none)

globals().update(user_classes())  # Locust finds the user classes of every registered diner kind here
install(events)
