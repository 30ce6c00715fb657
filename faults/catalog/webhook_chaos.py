"""webhook_chaos: the payment provider's callbacks misbehave, as real webhooks do:
- delay: every callback starts `delay_ms` late;
- duplicate: a `share` of callbacks is delivered twice, close together;
- reorder: a `share` of captured charges is followed, `delay_ms` after the `captured` callback was
  acknowledged, by a stale `declined` event for the same charge (an earlier attempt's failure, delivered last).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from faults.catalog.base import Fault, Plan, Step, meta


@dataclass(frozen=True)
class Params:
    form: str = field(default="reorder", metadata=meta("how callbacks misbehave",
                                                       choices=("delay", "duplicate", "reorder")))
    share: float = field(default=0.5, metadata=meta("duplicate/reorder: share of callbacks affected", min=0.0,
                                                    min_exclusive=True, max=1.0))
    delay_ms: int = field(default=2000, metadata=meta("delay: how late every callback starts; reorder: lag of "
                                                      "the stale event after the captured one", min=0, max=60000))


def plan(p: Params) -> Plan:
    args: tuple[tuple[str, object], ...] = {
        "delay": (("notify_delay_ms", p.delay_ms),),
        "duplicate": (("notify_duplicate_rate", p.share),),
        "reorder": (("notify_reorder_rate", p.share), ("notify_reorder_lag_ms", p.delay_ms)),
    }[p.form]
    return Plan(steps=(Step("gateway", "set_chaos", "clear_chaos", "", args),))


FAULT = Fault(
    name="webhook_chaos",
    description="Payment callbacks arrive late, twice, or reordered (a stale declined after captured).",
    links=(), params_type=Params, plan_fn=plan,
    variants=({"form": "delay", "delay_ms": 3000}, {"form": "duplicate"}, {"form": "reorder"}),
)
