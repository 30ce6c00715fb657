"""ProcessControl on Docker Compose: the process faults as container kill / start / pause / unpause (docker SDK).

Services are SIGKILLed; the broker gets SIGTERM (a node stop: its volume keeps durable queues); PostgreSQL gets
SIGQUIT (immediate shutdown: crash recovery on start). `start` returns once the service's healthcheck passes
again; a pause or unpause is read back from the engine (the container's state); every wait is bounded and a part
that does not come back is a FaultError naming it and the logs folder. Unit-tested against a faked SDK; on a real
engine in tests/compose/ (test_compose_e2e.py: a kitchen crash; test_compose_process_faults.py: pause, broker
restart, database restart, and Ctrl-C during a pause).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from faults.actuators import BROKER, DATABASE, PARTS
from faults.errors import FaultError
from harness.errors import SetupError
from harness.runtime.compose import ComposeStack

ACTIONS = ("kill", "start", "pause", "resume")
KILL_SIGNAL = {DATABASE: "SIGQUIT", BROKER: "SIGTERM"}   # the rest: SIGKILL


@dataclass
class ComposeProcesses:
    """ProcessControl over a ComposeStack's services (the compose service names are the part names)."""

    stack: ComposeStack
    timeout: float = 60.0
    down: set[str] = field(default_factory=set)   # killed on purpose, not started again yet

    def parts(self) -> tuple[str, ...]:
        return PARTS

    def check(self, part: str, actions: tuple[str, ...]) -> None:
        if part not in PARTS:
            raise FaultError(f"the compose stack has no part {part!r}; parts: {', '.join(PARTS)}")
        unknown = [a for a in actions if a not in ACTIONS]
        if unknown:
            raise FaultError(f"compose cannot {unknown[0]} {part}; it can {', '.join(ACTIONS)}")

    def kill(self, part: str) -> str:
        self.check(part, ("kill",))
        sig = KILL_SIGNAL.get(part, "SIGKILL")
        names = self._sdk(part, lambda: self.stack.container_kill(part, signal=sig))
        for c in self.stack.containers(part):
            try:
                c.wait(timeout=self.timeout)   # until the container has stopped
            except Exception as err:  # noqa: BLE001 - the SDK raises its own timeout/connection errors
                raise FaultError(f"{part} did not stop {self.timeout:g}s after {sig}: {err}") from None
        self.down.add(part)
        return f"{part} {sig} ({', '.join(names)})"

    def start(self, part: str) -> str:
        self.check(part, ("start",))
        names = self._sdk(part, lambda: self.stack.container_start(part))
        self._sdk(part, lambda: self.stack.wait_healthy((part,), timeout=self.timeout))
        self.down.discard(part)
        return f"{part} started again and healthy ({', '.join(names)})"

    def pause(self, part: str) -> str:
        self.check(part, ("pause",))
        names = self._sdk(part, lambda: self.stack.container_pause(part), "could not be paused")
        self._expect(part, "paused", "after docker pause")
        return f"{part} paused ({', '.join(names)})"

    def resume(self, part: str) -> str:
        self.check(part, ("resume",))
        self._sdk(part, lambda: self.stack.container_unpause(part), "could not be unpaused")
        self._expect(part, "running", "after docker unpause")
        return f"{part} unpaused"

    def held(self) -> frozenset[str]:
        """Parts down on purpose right now: not "dead" for the run's dead-service check."""
        return frozenset(self.down)

    def _expect(self, part: str, status: str, when: str) -> None:
        """The engine's own word on the part's containers (State.Status): a change it did not make is a FaultError."""
        wrong = [f"{c.name} is {_status(c)}" for c in self.stack.containers(part) if _status(c) != status]
        if wrong:
            raise FaultError(f"{part} not {status} {when}: {', '.join(wrong)}")

    def _sdk(self, part: str, action, failed: str = "did not come back"):
        try:
            return action()
        except SetupError as err:
            raise FaultError(f"{part} {failed}: {err}") from None


def _status(container) -> str:
    return (container.attrs.get("State") or {}).get("Status", "unknown")
