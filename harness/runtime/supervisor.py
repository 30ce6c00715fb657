"""The local runtime's ProcessControl: kill, start, pause and resume the parts of a LocalStack it started.

Services restart with the same argv, ports and log (appended); the broker stops and starts on its own data;
PostgreSQL shuts down immediately and recovers. Every call returns once the part is in the asked state (a
restarted part answers), within a bound; otherwise it raises a FaultError naming the part and its log.
It remembers what it took down on purpose, so the run's dead-service check never blames a planned crash.
"""
from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import httpx

from faults.actuators import BROKER, DATABASE, SERVICES
from faults.errors import FaultError
from harness.errors import SetupError
from harness.runtime.procs import Child

if TYPE_CHECKING:
    from harness.runtime.local import LocalStack

ACTIONS = ("kill", "start", "pause", "resume")
RELAY_READY = b"outbox relay started"   # the relay has no HTTP port: its start line says its pool is open


def answers(url: str) -> bool:
    """True when `url` gives any HTTP answer: the process is up and serving (its dependencies are not our
    business here: a KDS whose broker is down answers 503 and is still up)."""
    try:
        httpx.get(url, timeout=1.0)
        return True
    except httpx.HTTPError:
        return False


@dataclass
class Supervisor:
    """ProcessControl over `stack`'s parts: orders, relay, gateway, kitchen, rabbitmq, postgres."""

    stack: "LocalStack"
    timeout: float = 30.0                                    # bound of every wait (stop, start, answer)
    down: set[str] = field(default_factory=set)              # killed on purpose, not started again yet
    paused: set[str] = field(default_factory=set)

    # -- ProcessControl ---------------------------------------------------------------------------------
    def parts(self) -> tuple[str, ...]:
        return (*SERVICES, BROKER, DATABASE)

    def check(self, part: str, actions: tuple[str, ...]) -> None:
        if part not in self.parts():
            raise FaultError(f"the local stack has no part {part!r}; parts: {', '.join(self.parts())}")
        unknown = [a for a in actions if a not in ACTIONS]
        if unknown:
            raise FaultError(f"the local supervisor cannot {unknown[0]} {part}; it can {', '.join(ACTIONS)}")

    def kill(self, part: str) -> str:
        self.check(part, ("kill",))
        t0 = time.monotonic()
        child = self._child(part)
        self._mark(child, "killed by dinerush (fault)")
        if part == DATABASE:
            self._bounded(part, lambda: self.stack.postgres.crash(timeout=self.timeout))
            how = "immediate shutdown"
        elif part == BROKER:
            self._bounded(part, lambda: self.stack.rabbit.stop_node(timeout=self.timeout))
            how = "node stopped"
        else:
            child.stop(timeout=self.timeout, sig=signal.SIGKILL)
            how = "SIGKILL"
        self.down.add(part)
        self.paused.discard(part)
        return f"{part} {how} (pid {child.pid}, {time.monotonic() - t0:.1f}s)"

    def start(self, part: str) -> str:
        self.check(part, ("start",))
        t0 = time.monotonic()
        child = self._child(part)
        if child.alive():
            raise FaultError(f"{part} is still running (pid {child.pid}); start only after kill")
        self._mark(child, "started again by dinerush (fault healed)")
        if part == DATABASE:
            self._bounded(part, lambda: self.stack.postgres.restart(timeout=self.timeout))
        elif part == BROKER:
            self._bounded(part, lambda: self.stack.rabbit.start_node(timeout=self.timeout))
        else:
            offset = child.log_path.stat().st_size if child.log_path.exists() else 0
            self._bounded(part, child.start)
            self._bounded(part, lambda: child.wait_until(self._ready_check(part, child, offset), self.timeout,
                                                          "answering again"))
        self.down.discard(part)
        return f"{part} started again (pid {self._child(part).pid}, answering after {time.monotonic() - t0:.1f}s)"

    def pause(self, part: str) -> str:
        self.check(part, ("pause",))
        child = self._child(part)
        if not child.alive():
            raise FaultError(f"cannot pause {part}: it is not running (log: {child.log_path})")
        child.signal_group(signal.SIGSTOP)
        self._wait(part, lambda: child.state() == "T", "stopped (state T)", child)
        self.paused.add(part)
        return f"{part} paused (SIGSTOP to process group {child.pid})"

    def resume(self, part: str) -> str:
        self.check(part, ("resume",))
        child = self._child(part)
        child.signal_group(signal.SIGCONT)
        self._wait(part, lambda: child.state() not in ("T", "t"), "running again", child)
        self.paused.discard(part)
        return f"{part} resumed (SIGCONT to process group {child.pid})"

    # -- for the target ---------------------------------------------------------------------------------
    def held(self) -> frozenset[str]:
        """Parts down on purpose right now: not "dead" for the run's dead-service check."""
        return frozenset(self.down)

    def resume_all(self) -> None:
        """Wake every paused part (before the stack stops: a stopped process ignores SIGTERM until woken)."""
        for part in list(self.paused):
            self._child(part).signal_group(signal.SIGCONT)
            self.paused.discard(part)

    # -- helpers ----------------------------------------------------------------------------------------
    def _child(self, part: str) -> Child:
        s = self.stack
        child = (s.postgres.child if part == DATABASE and s.postgres else
                 s.rabbit.child if part == BROKER and s.rabbit else s.services.get(part))
        if child is None or child.proc is None:
            raise FaultError(f"{part} was never started by the local stack")
        return child

    def _ready_check(self, part: str, child: Child, offset: int) -> Callable[[], bool]:
        if part == "relay":
            def relay_ready() -> bool:
                with open(child.log_path, "rb") as f:
                    f.seek(offset)
                    return RELAY_READY in f.read()
            return relay_ready
        e = self.stack.endpoints
        url = {"orders": e.orders_direct_url, "gateway": e.gateway_url, "kitchen": e.kitchen_url}[part]
        return lambda: answers(url + "/health")

    def _bounded(self, part: str, action: Callable[[], object]) -> None:
        """Run a runtime step; its SetupError (dead child, deadline) becomes a FaultError naming the part."""
        try:
            action()
        except SetupError as err:
            raise FaultError(f"{part} did not come back: {err}") from None

    def _wait(self, part: str, done: Callable[[], bool], what: str, child: Child) -> None:
        deadline = time.monotonic() + self.timeout
        while not done():
            if time.monotonic() > deadline:
                raise FaultError(f"{part} not {what} after {self.timeout:.0f}s (log: {child.log_path})")
            time.sleep(0.02)

    @staticmethod
    def _mark(child: Child, what: str) -> None:
        """A line in the part's log, so a reader sees where the planned crash or restart happened."""
        try:
            with open(child.log_path, "ab") as f:
                f.write(f"--- dinerush {time.strftime('%H:%M:%S')}: {child.name} {what} ---\n".encode())
        except OSError:
            pass
