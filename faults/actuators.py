"""What a fault acts on. Wire faults need only Toxiproxy; faults beyond the wire act on the parts of the
stack (processes, the broker, the database) and on the simulated payment provider's chaos control.

A target hands the fault runner an `Actuators`: Toxiproxy always, the others when it can offer them
(local: its supervisor; compose: the docker SDK; external: commands from its config). A fault whose plan
needs an actuator the target does not offer fails at preflight with one line naming what is missing.
`faults` defines the protocols; `harness` implements them (it never runs the other way).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from faults.errors import FaultError

PROCESSES = "processes"
GATEWAY = "gateway"

# The parts of a stack a process fault may act on (ProcessControl.parts() offers a subset of these).
SERVICES = ("orders", "relay", "gateway", "kitchen")   # orders API (+ reconciler), outbox relay, gateway, KDS
BROKER = "rabbitmq"
DATABASE = "postgres"
PARTS = (*SERVICES, BROKER, DATABASE)


class LinkControl(Protocol):
    """The part of the Toxiproxy client a wire fault uses (a fake implements it in unit tests)."""

    def add_toxic(self, proxy: str, spec: Any) -> Any: ...
    def remove_toxic(self, proxy: str, toxic_name: str) -> None: ...
    def set_enabled(self, name: str, enabled: bool) -> Any: ...


class ProcessControl(Protocol):
    """Process faults on the named parts of a stack (e.g. orders, relay, gateway, kitchen, rabbitmq, postgres).

    Each call returns once the part is in the asked state (killed, started and answering, paused, resumed)
    and returns a short detail for the timeline; it raises FaultError when it cannot."""

    def parts(self) -> tuple[str, ...]: ...
    def kill(self, part: str) -> str: ...          # SIGKILL, container kill; PostgreSQL: immediate shutdown
    def start(self, part: str) -> str: ...         # start again on its own data
    def pause(self, part: str) -> str: ...         # SIGSTOP, container pause
    def resume(self, part: str) -> str: ...        # SIGCONT, container unpause
    # Raise FaultError (one line naming the missing part or config key) unless `actions` can be done on `part`:
    # the runner's preflight calls it for every step, so a schedule fails before the load, not mid-run.
    def check(self, part: str, actions: tuple[str, ...]) -> None: ...


class GatewayControl(Protocol):
    """The simulated payment provider's chaos control (an admin endpoint diners never reach)."""

    def set_chaos(self, **settings: object) -> str: ...
    def clear_chaos(self) -> str: ...


@dataclass(frozen=True)
class Actuators:
    """Everything faults may act on; `None` means this target does not offer it."""

    links: LinkControl
    processes: ProcessControl | None = None
    gateway: GatewayControl | None = None

    def get(self, name: str, fault: str = "") -> Any:
        """The actuator called `name`; missing is a FaultError naming the fault and what the target lacks."""
        found = getattr(self, name, None)
        if found is None:
            who = f"fault {fault} needs" if fault else "needs"
            raise FaultError(f"{who} {name} control, which this target does not offer "
                             f"(local offers it; an external target declares it in its config)")
        return found


def actuators_of(obj: object) -> Actuators:
    """An Actuators from either an Actuators or a bare Toxiproxy client (the wire-only form)."""
    return obj if isinstance(obj, Actuators) else Actuators(links=obj)  # type: ignore[arg-type]
