"""service_pause: one stack service is frozen with SIGSTOP (its sockets stay open, nothing answers, its clock
jumps when it wakes) and thawed with SIGCONT when the window ends."""
from __future__ import annotations

from dataclasses import dataclass, field

from faults.actuators import PROCESSES, SERVICES
from faults.catalog.base import Fault, Plan, Step, meta


@dataclass(frozen=True)
class Params:
    service: str = field(default="gateway", metadata=meta("the service frozen", choices=SERVICES))


def plan(p: Params) -> Plan:
    return Plan(steps=(Step(PROCESSES, "pause", "resume", p.service),))


FAULT = Fault(
    name="service_pause",
    description="A stack service is frozen (SIGSTOP) for the window, then thawed (SIGCONT).",
    links=(), params_type=Params, plan_fn=plan,
    variants=tuple({"service": s} for s in SERVICES),
)
