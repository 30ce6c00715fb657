"""db_stall: PostgreSQL answers late (latency on orders_db answers) or not at all (`timeout` toxic on
downstream: answers are swallowed and the connection closed after `timeout_ms`, or held with 0)."""
from __future__ import annotations

from dataclasses import dataclass, field

from faults.catalog.base import Fault, LinkToxic, Plan, meta
from faults.client import ToxicSpec

LINK = "orders_db"


@dataclass(frozen=True)
class Params:
    form: str = field(default="latency", metadata=meta("slow answers or none", choices=("latency", "timeout")))
    delay_ms: int = field(default=1500, metadata=meta("latency form: delay of each answer", min=1, max=600000))
    jitter_ms: int = field(default=0, metadata=meta("latency form: +/- random part", min=0, max=600000))
    timeout_ms: int = field(default=0, metadata=meta("timeout form: close after this long (0 = hold until healed)", min=0, max=600000))


def plan(p: Params) -> Plan:
    if p.form == "timeout":
        return Plan(toxics=(LinkToxic(LINK, ToxicSpec("timeout", {"timeout": p.timeout_ms})),))
    return Plan(toxics=(LinkToxic(LINK, ToxicSpec("latency", {"latency": p.delay_ms, "jitter": p.jitter_ms})),))


FAULT = Fault(
    name="db_stall",
    description="The orders database stalls: answers on orders_db delayed, or swallowed (timeout).",
    links=(LINK,), params_type=Params, plan_fn=plan,
    variants=({"delay_ms": 500}, {"delay_ms": 1500}),
)
