"""provider_declines: the payment provider declines a share of good cards with a soft decline
(`try_again_later`), as issuers do under load; each such charge is recorded as injected, so the audit
never counts it as a wrongful refusal by the stack."""
from __future__ import annotations

from dataclasses import dataclass, field

from faults.catalog.base import Fault, Plan, Step, meta


@dataclass(frozen=True)
class Params:
    decline_rate: float = field(default=0.3, metadata=meta("share of good cards declined", min=0.0,
                                                           min_exclusive=True, max=1.0))


def plan(p: Params) -> Plan:
    return Plan(steps=(Step("gateway", "set_chaos", "clear_chaos", "", (("decline_rate", p.decline_rate),)),))


FAULT = Fault(
    name="provider_declines",
    description="The payment provider soft-declines a share of good cards (try_again_later).",
    links=(), params_type=Params, plan_fn=plan,
    variants=({"decline_rate": 0.2}, {"decline_rate": 0.5}),
)
