"""service_crash: one stack service is SIGKILLed (no shutdown code runs: what it held only in memory is gone) and
started again with the same command, ports and log when the window ends (`for` seconds later)."""
from __future__ import annotations

from dataclasses import dataclass, field

from faults.actuators import PROCESSES, SERVICES
from faults.catalog.base import Fault, Plan, Step, meta


@dataclass(frozen=True)
class Params:
    service: str = field(default="kitchen", metadata=meta("the service killed (orders = the API and its reconciler)",
                                                          choices=SERVICES))


def plan(p: Params) -> Plan:
    return Plan(steps=(Step(PROCESSES, "kill", "start", p.service),))


FAULT = Fault(
    name="service_crash",
    description="A stack service is SIGKILLed and started again (same argv, ports, log) when the window ends.",
    links=(), params_type=Params, plan_fn=plan,
    variants=tuple({"service": s} for s in SERVICES),
)
