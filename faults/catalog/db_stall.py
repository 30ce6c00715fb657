"""db_stall: PostgreSQL answers late (latency on a database link's answers) or not at all (`timeout` toxic on
downstream: answers are swallowed and the connection closed after `timeout_ms`, or held with 0). `link` picks the
hop: orders_db (orders API, relay, reconciler), kitchen_db (KDS) or gateway_db (payment gateway)."""
from __future__ import annotations

from dataclasses import dataclass, field

from faults.catalog.base import Fault, LinkToxic, Plan, meta
from faults.client import ToxicSpec

DB_LINKS = ("orders_db", "kitchen_db", "gateway_db")


@dataclass(frozen=True)
class Params:
    form: str = field(default="latency", metadata=meta("slow answers or none", choices=("latency", "timeout")))
    delay_ms: int = field(default=1500, metadata=meta("latency form: delay of each answer", min=1, max=600000))
    jitter_ms: int = field(default=0, metadata=meta("latency form: +/- random part", min=0, max=600000))
    timeout_ms: int = field(default=0, metadata=meta("timeout form: close after this long (0 = hold until healed)", min=0, max=600000))
    link: str = field(default="orders_db", metadata=meta("which database hop stalls", choices=DB_LINKS))


def plan(p: Params) -> Plan:
    if p.form == "timeout":
        return Plan(toxics=(LinkToxic(p.link, ToxicSpec("timeout", {"timeout": p.timeout_ms})),))
    return Plan(toxics=(LinkToxic(p.link, ToxicSpec("latency", {"latency": p.delay_ms, "jitter": p.jitter_ms})),))


FAULT = Fault(
    name="db_stall",
    description="A database hop stalls: answers on orders_db (or kitchen_db, gateway_db) delayed, or swallowed.",
    links=DB_LINKS, params_type=Params, plan_fn=plan,
    variants=({"delay_ms": 500}, {"delay_ms": 1500}),
)
