"""broker_restart: the RabbitMQ node stops (connections drop, publishes go unconfirmed) and starts again on its own
data when the window ends: durable queues and persistent messages survive, transient ones do not."""
from __future__ import annotations

from dataclasses import dataclass

from faults.actuators import BROKER, PROCESSES
from faults.catalog.base import Fault, Plan, Step


@dataclass(frozen=True)
class Params:
    """No params: the window's `for` is how long the node stays down."""


def plan(p: Params) -> Plan:
    return Plan(steps=(Step(PROCESSES, "kill", "start", BROKER),))


FAULT = Fault(
    name="broker_restart",
    description="The RabbitMQ node stops and starts again on its data when the window ends.",
    links=(), params_type=Params, plan_fn=plan,
)
