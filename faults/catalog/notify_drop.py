"""notify_drop: the gateway's payment callbacks (link payment_notify) do not reach the orders API:
the link is down (refused) or every connection is reset by peer."""
from __future__ import annotations

from dataclasses import dataclass, field

from faults.catalog.base import Fault, LinkToxic, Plan, meta
from faults.client import ToxicSpec

LINK = "payment_notify"


@dataclass(frozen=True)
class Params:
    form: str = field(default="down", metadata=meta("refuse connections or reset them", choices=("down", "reset")))


def plan(p: Params) -> Plan:
    if p.form == "down":
        return Plan(down=(LINK,))
    return Plan(toxics=(LinkToxic(LINK, ToxicSpec("reset_peer", {"timeout": 0})),))


FAULT = Fault(
    name="notify_drop",
    description="Gateway callbacks to the orders API are lost (payment_notify down or reset).",
    links=(LINK,), params_type=Params, plan_fn=plan,
    variants=({"form": "down"}, {"form": "reset"}),
)
