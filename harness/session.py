"""One run session, shared by `dinerush run` and `dinerush capacity`: the run folder, the context, the signal
guard, up + probe, Locust supervision, the drain and the final reads.

`run` adds only its fault timeline and finish; `capacity` only its search. Whatever ends a session (a failed
fault, Ctrl-C, SIGTERM, a dead service), the stack is stopped and the reason is kept as inconclusive.
"""
from __future__ import annotations

import signal
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from faults.errors import FaultError
from harness.errors import DinerushError, SetupError, UsageError
from harness.loadgen import LoadSpec, LocustRun
from harness.profiles import Profile
from harness.progress import Progress

if TYPE_CHECKING:
    from faults.runner import Stamp
    from faults.schedule import Schedule
    from harness.audit.history import Backlog, FinalReads
    from harness.report.slo import SLOConfig
    from harness.targets import Target

BOOT_WAIT_S = 20.0     # the timeline waits this long at most for Locust's first diners
HARD_MARGIN_S = 60.0   # Locust is cut off this long after its run time and stop timeout


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived: stop, heal, report inconclusive. A BaseException, like KeyboardInterrupt, so no
    `except Exception` on the way (a fault's apply, a wait, a figure read) can take it for an error of its own."""


@dataclass(frozen=True)
class RunOptions:
    """What `dinerush run` is asked to do (the options a target reads are the ones capacity has too)."""

    profile: Profile
    seed: int = 7
    bugs: tuple[str, ...] = ()
    out_root: Path = Path("runs")
    run_dir: Path | None = None
    target: str = "local"
    config: Path | None = None
    workers: int = 0
    allow_remote: bool = False
    slo: "SLOConfig | None" = None      # None: defaults


@dataclass
class RunContext:
    """Everything one session accumulates, handed from phase to phase (no module-level state); capacity's
    context extends it with its search."""

    options: object            # RunOptions, or capacity's CapacityOptions
    run_dir: Path
    progress: Progress
    phase: str = "init"
    stamps: "list[Stamp]" = field(default_factory=list)
    inconclusive: list[str] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    load_launched_wall: float | None = None   # Locust first started: no diner order exists before this
    load_started_wall: float | None = None    # Locust reported its first diners: t = 0 of the timeline
    load_ended_wall: float | None = None
    probe_line: str = ""
    schedule: "Schedule | None" = None         # the fault timeline, or None for a session without one

    def event(self, what: str, **detail) -> None:
        self.events.append({"wall": time.time(), "phase": self.phase, "what": what, **detail})


def make_run_dir(out_root: Path, run_dir: Path | None, name: str) -> Path:
    """`run_dir`, else a new `<out_root>/<time>-<name>[-n]`; earlier runs are never overwritten."""
    if run_dir is not None:
        path = Path(run_dir)
    else:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = out_root / f"{stamp}-{name}"
        n = 1
        while path.exists():  # never overwrite an earlier run
            n += 1
            path = out_root / f"{stamp}-{name}-{n}"
    if path.exists() and any(path.iterdir()):
        raise UsageError(f"run folder {path} is not empty: choose another --run-dir or --out "
                         "(earlier runs are never overwritten)")
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


@contextmanager
def signals_raise() -> Iterator[None]:
    """Turn SIGINT/SIGTERM into Interrupted in the main thread, so every `finally` runs."""
    seen: list[str] = []

    def handler(signum, _frame):
        name = signal.Signals(signum).name
        if seen:   # already stopping: let the cleanup that is under way finish
            print(f"dinerush: {name} again; still healing faults and stopping the stack", file=sys.stderr)
            return
        seen.append(name)
        raise Interrupted(name)
    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Ignore SIGINT/SIGTERM for a short, bounded step (writing the reports)."""
    old = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def run_session(ctx: RunContext, target: "Target", load: Callable[[], None]) -> "FinalReads | None":
    """up + probe → `load` (run's timeline or capacity's search) → drain → final reads, under the signal guard.

    The final reads, or None when the session ended early: then ctx.inconclusive says why (a signal, a fault that
    did not apply, a dead service...). The stack is stopped either way."""
    def phases() -> "FinalReads":
        with ExitStack() as stack:
            stack_up(ctx, target, stack)
            load()
            drain(ctx, target)
            return save_final_reads(ctx, target)
    with signals_raise():
        try:
            return phases()
        except Interrupted as sig:
            ctx.inconclusive.append(f"interrupted by {sig} during {ctx.phase}")
        except (DinerushError, FaultError) as err:   # a fault that did not apply or heal, a dead service...
            ctx.inconclusive.append(f"{ctx.phase}: {err}")
        finally:
            ctx.progress.close()
    return None


def stack_up(ctx: RunContext, target: "Target", stack: ExitStack) -> object:
    """Start (or reach) the stack until `stack` closes, and prove steady state with one probe order."""
    ctx.phase = "up"
    ctx.progress.phase("up", "starting the stack")
    endpoints = stack.enter_context(target.up(ctx))
    ctx.phase = "probe"
    ctx.progress.phase("probe", "one order end to end")
    ctx.probe_line = target.probe()
    ctx.event("probe", line=ctx.probe_line)
    return endpoints


def _no_faults(elapsed: float) -> Sequence[str]:
    return ()


def _nothing(*_args) -> None:
    return None


@dataclass(frozen=True)
class LoadWatch:
    """How one Locust child is watched: what to call it in errors, whether it must leave a ledger, and the
    caller's hooks: `started(locust)` once Locust runs, `tick(elapsed)` at each poll (apply due faults, sample
    resources; returns the active faults) and `ended()` as soon as the load ends however it ends, before Locust is
    stopped (heal the faults)."""

    label: str = "load"          # "load", or "load (step 3)"
    needs_ledger: bool = True    # capacity steps fall back to Locust's own counts without one
    started: Callable[[LocustRun], None] = _nothing
    tick: Callable[[float], Sequence[str]] = _no_faults
    ended: Callable[[], None] = _nothing


def watch_load(ctx: RunContext, target: "Target", spec: LoadSpec, load_dir: Path, watch: LoadWatch) -> LocustRun:
    """Run one Locust child to its end: wait (bounded) for its first diners, poll `watch.tick`, stop on a dead
    stack service or a Locust that does not stop; then its exit code and ledger must be sound (else SetupError)."""
    locust = LocustRun(spec, load_dir)
    log = _rel(load_dir / "logs" / "locust.log", ctx.run_dir)
    with ExitStack() as stack:
        if ctx.load_launched_wall is None:
            ctx.load_launched_wall = time.time()
        locust.start()
        stack.callback(locust.stop)
        watch.started(locust)
        launched = time.monotonic()
        t0 = None   # the first moment Locust reports diners (it needs a few s to boot)
        hard_stop = spec.duration_s + spec.stop_timeout_s + HARD_MARGIN_S
        try:
            while locust.alive():
                now = time.monotonic()
                if t0 is None:
                    if locust.progress().users == 0 and now - launched < BOOT_WAIT_S:
                        ctx.progress.phase_tick("load", "Locust starting")
                        time.sleep(0.2)
                        continue
                    t0 = now
                    if ctx.load_started_wall is None:
                        ctx.load_started_wall = time.time()
                    ctx.event("load started", boot_s=round(now - launched, 2))
                elapsed = now - t0
                active = watch.tick(elapsed)
                for name in target.dead_services():
                    raise SetupError(f"stack service {name} died at {elapsed:.1f}s of {watch.label}: "
                                     f"see logs/{name}.log")
                ctx.progress.load(elapsed, spec.duration_s, locust.progress(), list(active))
                if elapsed > hard_stop:
                    raise SetupError(f"Locust did not stop {hard_stop:.0f}s after the {watch.label} began: see {log}")
                time.sleep(0.25)
        finally:
            watch.ended()
        code = locust.child.proc.returncode if locust.child and locust.child.proc else None
        if code not in (0, None):
            raise SetupError(f"Locust exited with code {code}: see {log}")
        if watch.needs_ledger and not locust.ledger_path.exists():
            raise SetupError(f"Locust wrote no ledger: see {log}")
    return locust


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Settled:
    """How a wait for the backlog ended: calm (empty three polls in a row) or not, what was left, how long."""

    calm: bool
    backlog: "Backlog"
    seconds: float


def settle(target: "Target", deadline_s: float, during: str,
           polled: Callable[["Backlog"], None] = _nothing, stall_s: float | None = None) -> Settled:
    """Poll the outbox, the kitchen queue and pending payments every 0.5 s until they are empty three polls in a
    row, or `deadline_s`, or (with `stall_s`) their sum has not reached a new low for that long: a backlog a held
    fault keeps full is not waited for. A stack service that dies meanwhile is a SetupError naming `during`."""
    t0 = time.monotonic()
    calm = 0
    low, low_at = None, t0
    while True:
        for name in target.dead_services():
            raise SetupError(f"stack service {name} died {time.monotonic() - t0:.1f}s into the {during}: "
                             f"see logs/{name}.log")
        backlog = target.backlog()
        polled(backlog)
        calm = calm + 1 if (backlog.outbox_unsent, backlog.queue_messages, backlog.payments_pending) == (0, 0, 0) else 0
        now = time.monotonic()
        total = backlog.outbox_unsent + backlog.queue_messages + backlog.payments_pending
        if low is None or total < low:
            low, low_at = total, now
        waited = now - t0
        if calm >= 3 or waited >= deadline_s or (stall_s is not None and now - low_at >= stall_s):
            return Settled(calm >= 3, backlog, waited)
        time.sleep(0.5)


def drain(ctx: RunContext, target: "Target") -> None:
    """Wait until the outbox, the kitchen queue and pending payments are empty (three polls in a row), or the
    profile's deadline; a stack service that dies meanwhile is a SetupError naming it."""
    ctx.phase = "drain"
    ctx.progress.phase("drain", "waiting for outbox, kitchen queue and payments to settle")
    done = settle(target, ctx.options.profile.drain_deadline_s, "drain", ctx.progress.drain)
    if done.calm:
        ctx.event("drained")
    else:
        ctx.event("drain deadline passed", backlog=asdict(done.backlog))


def save_final_reads(ctx: RunContext, target: "Target") -> "FinalReads":
    """The final reads, saved as final_reads.json (so the run can be re-audited offline), and the logs."""
    ctx.phase = "reads"
    ctx.progress.phase("reads", "reading the systems of record")
    reads = target.read_final()
    from harness.audit import readsdump
    readsdump.save(ctx.run_dir, reads)   # final_reads.json, and its columnar copy for a quicker audit
    target.collect_logs()
    return reads
