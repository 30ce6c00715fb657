"""provider_errors: the payment provider answers a share of charges with a 5xx, before it stores anything
(`before`: nothing happened, a retry is safe) or after the charge is stored (`after`: the money is taken but
the answer says error; only a retry with the same key or asking the provider tells the truth).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from faults.catalog.base import Fault, Plan, Step, meta


@dataclass(frozen=True)
class Params:
    error_rate: float = field(default=0.3, metadata=meta("share of charge requests answered 5xx", min=0.0,
                                                         min_exclusive=True, max=1.0))
    when: str = field(default="after", metadata=meta("5xx before the charge is stored, after it, or either",
                                                     choices=("before", "after", "both")))


def plan(p: Params) -> Plan:
    return Plan(steps=(Step("gateway", "set_chaos", "clear_chaos", "",
                            (("error_rate", p.error_rate), ("error_when", p.when))),))


FAULT = Fault(
    name="provider_errors",
    description="The payment provider answers charges 5xx, before or after it stored the charge.",
    links=(), params_type=Params, plan_fn=plan,
    variants=({"when": "before"}, {"when": "after"}, {"when": "both", "error_rate": 0.5}),
)
