"""Drives a Schedule against Toxiproxy. The caller passes the elapsed load time to `step`; the
runner never sleeps. Every apply and heal is stamped with the elapsed time it was done at and the
wall time after the server confirmed it. Used as a context manager, it heals everything in a
`finally` and ends with `client.reset()`.

A wedged Toxiproxy API (a call that times out: ToxiproxyUnresponsive) never wastes a run when the target
can restart its own server (`restart_proxy`): the server is restarted on its port with fresh proxies,
which heals every wire fault at once; that is stamped ("fault proxy restarted at T s"), the wire faults
then active are stamped healed, and a fault that was being applied is applied again on the fresh server.
Without `restart_proxy` (an external Toxiproxy) the wedge is a FaultError naming it: the run is inconclusive.

    with TimelineRunner(client, schedule) as runner:
        while not runner.done:
            stamps = runner.step(time.monotonic() - t0)
            ...sleep until runner.next_due() ...
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from faults.actuators import Actuators, GatewayControl, ProcessControl
from faults.catalog.base import FaultClient, Plan, check_actuators
from faults.errors import FaultError, ToxiproxyUnresponsive, first_error, is_interrupt
from faults.schedule import Entry, Schedule


class RunnerClient(FaultClient, Protocol):
    def reset(self) -> Any: ...
    def proxies(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Stamp:
    """One applied or healed fault, for the run's timeline."""

    action: str          # "apply" | "heal" | "restart" (the fault proxy was restarted; entry -1)
    entry: int           # 0-based index in the schedule
    fault: str
    due: float           # scheduled elapsed seconds (at, or at + for)
    elapsed: float       # elapsed seconds passed to step() when it was done
    wall: float          # clock() after the server confirmed it (epoch seconds by default)
    links: tuple[str, ...]
    detail: str          # toxics/down summary, e.g. "payment_gateway:latency/downstream(latency=3500)"

    def as_dict(self) -> dict[str, object]:
        return {"action": self.action, "entry": self.entry, "fault": self.fault, "due": self.due,
                "elapsed": self.elapsed, "wall": self.wall, "links": list(self.links), "detail": self.detail}


@dataclass
class TimelineRunner:
    client: RunnerClient
    schedule: Schedule
    clock: Callable[[], float] = time.time
    processes: ProcessControl | None = None     # process faults: the target's supervisor, if it offers one
    gateway: GatewayControl | None = None       # payment-provider faults: its chaos control, if offered
    # Restarts the target's own Toxiproxy on its port and recreates the proxies; returns a detail. None: the
    # target cannot (external), so a wedged API ends the run inconclusive.
    restart_proxy: Callable[[], str] | None = None
    stamps: list[Stamp] = field(default_factory=list)
    _active: dict[int, Plan] = field(default_factory=dict)   # entry index → applied (tagged) plan
    _done: set[int] = field(default_factory=set)              # entries applied and healed
    _last: float = 0.0

    @property
    def actuators(self) -> Actuators:
        return Actuators(links=self.client, processes=self.processes, gateway=self.gateway)

    # -- driving ------------------------------------------------------------------------------
    def preflight(self) -> None:
        """Every link the schedule touches must exist as a proxy and every actuator its faults need must be
        offered by the target; else FaultError naming what is missing."""
        acts = self.actuators
        for e in self.schedule.entries:
            check_actuators(e.fault.plan(e.params), acts, e.use)
        have = self.client.proxies()
        missing = [link for link in self.schedule.links if link not in have]
        if missing:
            raise FaultError(f"Toxiproxy has no proxy for link(s) {', '.join(missing)}; "
                             "start the stack with its links before running the schedule")

    def step(self, elapsed: float) -> list[Stamp]:
        """Apply and heal everything due by `elapsed`, in order of due time (heals first on ties)."""
        self._last = max(self._last, elapsed)
        due: list[tuple[float, int, Entry]] = []
        for e in self.schedule.entries:
            if e.index in self._done:
                continue
            if e.index not in self._active and e.at <= elapsed:
                due.append((e.at, 1, e))
            if e.end <= elapsed:
                due.append((e.end, 0 if e.index in self._active else 2, e))
        out: list[Stamp] = []
        for when, kind, e in sorted(due, key=lambda d: (d[0], d[1], d[2].index)):
            if e.index in self._done:   # healed early by a fault proxy restart within this step
                continue
            out.append(self._heal(e, elapsed) if kind != 1 else self._apply(e, elapsed))
        return out

    def next_due(self) -> float | None:
        """The next elapsed time at which something is due, or None when the timeline is over."""
        times = [e.end if e.index in self._active else e.at
                 for e in self.schedule.entries if e.index not in self._done]
        return min(times, default=None)

    @property
    def done(self) -> bool:
        return len(self._done) == len(self.schedule.entries)

    @property
    def active(self) -> list[Entry]:
        return [e for e in self.schedule.entries if e.index in self._active]

    # -- apply / heal -------------------------------------------------------------------------
    def _apply(self, e: Entry, elapsed: float) -> Stamp:
        plan = e.fault.plan(e.params).tagged(f"e{e.index}_{e.use}")
        try:
            try:
                e.fault.apply(self.actuators, e.params, tag=f"e{e.index}_{e.use}")
            except ToxiproxyUnresponsive as wedged:
                self._restart(elapsed, wedged)   # the fresh server holds nothing of this fault: apply it again
                e.fault.apply(self.actuators, e.params, tag=f"e{e.index}_{e.use}")
        except BaseException as err:
            self._done.add(e.index)
            self._undo_partial(plan)
            if is_interrupt(err):   # Ctrl-C mid-apply: the part may have gone down; apply undid what it tried
                self._stamp("apply", e, e.at, elapsed, plan, note="interrupted while applying")
                self._stamp("heal", e, e.end, elapsed, plan, note="undone after the interrupt, best effort")
                raise
            raise FaultError(f"fault #{e.index + 1} {e.use} did not apply at {elapsed:.1f} s "
                             f"({plan.summary()}): {err}") from err
        self._active[e.index] = plan
        return self._stamp("apply", e, e.at, elapsed, plan)

    def _undo_partial(self, plan: Plan) -> None:
        """Best effort after a failed apply (parts may never have been added); heal_all's reset is the backstop."""
        held = frozenset(link for p in self._active.values() for link in p.down)
        for t in plan.toxics:
            try:
                self.client.remove_toxic(t.link, t.spec.resolved_name)
            except Exception:
                pass
        for link in plan.down:
            if link not in held:
                try:
                    self.client.set_enabled(link, True)
                except Exception:
                    pass

    def _heal(self, e: Entry, elapsed: float) -> Stamp:
        plan = self._active.pop(e.index, None)
        self._done.add(e.index)
        if plan is None:  # due and over within one step: applied and healed back to back
            plan = e.fault.plan(e.params).tagged(f"e{e.index}_{e.use}")
        held = frozenset(link for p in self._active.values() for link in p.down)
        try:
            try:
                e.fault.heal(self.actuators, plan, keep_down=held)
            except ToxiproxyUnresponsive as wedged:
                self._restart(elapsed, wedged)   # a restart heals every wire fault (steps were healed first)
        except BaseException as err:
            if is_interrupt(err):   # the heal went on past it (Fault.heal): stamp it, let the interrupt through
                self._stamp("heal", e, e.end, elapsed, plan, note="interrupted while healing; the rest was tried")
                raise
            raise FaultError(f"fault #{e.index + 1} {e.use} did not heal at {elapsed:.1f} s: {err}") from err
        return self._stamp("heal", e, e.end, elapsed, plan)

    def _restart(self, elapsed: float, wedged: ToxiproxyUnresponsive) -> None:
        """Restart the wedged fault proxy (or raise FaultError when the target cannot); the wire faults then
        active are healed by it, and stamped so."""
        if self.restart_proxy is None:
            raise FaultError(f"fault proxy wedged at {elapsed:.1f} s ({wedged}); dinerush cannot restart an "
                             "external Toxiproxy: restart it and run again") from wedged
        try:
            detail = self.restart_proxy()
        except Exception as err:
            raise FaultError(f"fault proxy wedged at {elapsed:.1f} s ({wedged}) and its restart failed: {err}") from err
        self.stamps.append(Stamp("restart", -1, "toxiproxy", elapsed, elapsed, self.clock(), (),
                                 f"fault proxy restarted at {elapsed:.1f} s: {wedged}; {detail}"))
        for index in sorted(self._active):
            plan = self._active[index]
            if not plan.toxics and not plan.down:
                continue
            e = self.schedule.entries[index]
            del self._active[index]
            self._done.add(index)
            e.fault.heal(self.actuators, dataclasses.replace(plan, toxics=(), down=()))   # its steps, if any
            self._stamp("heal", e, e.end, elapsed, plan, note="healed early by the fault proxy restart")

    def _stamp(self, action: str, e: Entry, due: float, elapsed: float, plan: Plan, note: str = "") -> Stamp:
        detail = plan.summary() + (f" ({note})" if note else "")
        stamp = Stamp(action, e.index, e.use, due, elapsed, self.clock(), plan.links, detail)
        self.stamps.append(stamp)
        return stamp

    def heal_all(self, elapsed: float | None = None) -> list[Stamp]:
        """Heal every active fault (stamped at `elapsed`, default the last step's), then ALWAYS
        `client.reset()`. Raises an interrupt, else the first failure, only after the reset was attempted."""
        at = self._last if elapsed is None else elapsed
        out: list[Stamp] = []
        errors: list[BaseException] = []
        try:
            for index in sorted(self._active):
                if index not in self._active:   # healed early by a fault proxy restart during this loop
                    continue
                e = self.schedule.entries[index]
                try:
                    out.append(self._heal(e, at))
                except BaseException as err:   # an interrupt too: the other faults are still healed
                    errors.append(err)
        finally:
            self._active.clear()
            try:
                self.client.reset()
            except ToxiproxyUnresponsive as wedged:
                self._restart(at, wedged)   # a fresh server holds no toxics: the reset is done
        if errors:
            raise first_error(errors)
        return out

    def __enter__(self) -> "TimelineRunner":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.heal_all()
        except Exception:
            if exc is None:
                raise   # a failed heal is reported, but never masks the caller's own exception
