"""db_restart: PostgreSQL shuts down immediately (no checkpoint; every session dies, as in a crash or failover)
and starts again when the window ends, replaying its WAL (crash recovery) before it accepts connections."""
from __future__ import annotations

from dataclasses import dataclass

from faults.actuators import DATABASE, PROCESSES
from faults.catalog.base import Fault, Plan, Step


@dataclass(frozen=True)
class Params:
    """No params: the window's `for` is how long the server stays down."""


def plan(p: Params) -> Plan:
    return Plan(steps=(Step(PROCESSES, "kill", "start", DATABASE),))


FAULT = Fault(
    name="db_restart",
    description="PostgreSQL shuts down immediately and starts again (crash recovery) when the window ends.",
    links=(), params_type=Params, plan_fn=plan,
)
