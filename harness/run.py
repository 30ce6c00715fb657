"""`dinerush run`: up → steady-state probe → load + fault timeline → heal → drain → final reads → audit → report.

Phases run in order on one RunContext; whatever happens (a failed fault, Ctrl-C, SIGTERM, a dead
service), faults are healed, the stack is stopped and a report is written, marked inconclusive
when the run could not be judged.
"""
from __future__ import annotations

import json
import signal
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterator

from faults.errors import FaultError
from faults.runner import TimelineRunner
from faults.schedule import load_schedule
from harness.errors import DinerushError, Exit, SetupError, UsageError
from harness.loadgen import LoadSpec, LocustRun
from harness.profiles import Profile
from harness.progress import Progress
from harness.targets import Target, make_target

QUEUE = "kitchen.tickets"


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived: stop, heal, report inconclusive."""


@dataclass(frozen=True)
class RunOptions:
    profile: Profile
    seed: int = 7
    bugs: tuple[str, ...] = ()
    out_root: Path = Path("runs")
    run_dir: Path | None = None
    target: str = "local"
    config: Path | None = None
    workers: int = 0
    allow_remote: bool = False
    slo: "object | None" = None      # harness.report.slo.SLOConfig; None: defaults


@dataclass
class RunContext:
    """Everything one run accumulates, handed from phase to phase (no module-level state)."""

    options: RunOptions
    run_dir: Path
    progress: Progress
    phase: str = "init"
    stamps: list = field(default_factory=list)
    inconclusive: list[str] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    load_launched_wall: float | None = None   # Locust started: no diner order exists before this
    load_started_wall: float | None = None    # Locust reported its first diners: t = 0 of the timeline
    load_ended_wall: float | None = None
    probe_line: str = ""
    schedule: object | None = None     # faults.schedule.Schedule, or None for a run without faults

    def event(self, what: str, **detail) -> None:
        self.events.append({"wall": time.time(), "phase": self.phase, "what": what, **detail})


def load_profile_schedule(options: RunOptions):
    """The profile's fault timeline, checked: a bad schedule is a usage error (exit 64)."""
    prof = options.profile
    if prof.schedule == "none":
        return None
    try:
        schedule = load_schedule(prof.schedule, seed=options.seed if prof.schedule == "random" else None,
                                 duration=prof.duration_s)   # a random nemesis is fitted to the load
    except FaultError as err:
        raise UsageError(str(err)) from None
    if schedule.seed is not None and not schedule.entries:
        raise UsageError(f"the random nemesis (seed {schedule.seed}) drew no fault in {prof.duration_s:.0f}s of load: "
                         "raise --duration or try another --seed")
    if schedule.total > prof.duration_s:
        raise UsageError(f"schedule {schedule.name} lasts {schedule.total:.0f}s but the load only "
                         f"{prof.duration_s:.0f}s: raise --duration")
    return schedule


def new_run_dir(options: RunOptions) -> Path:
    return make_run_dir(options.out_root, options.run_dir, options.profile.name)


def make_run_dir(out_root: Path, run_dir: Path | None, name: str) -> Path:
    """`run_dir`, else a new `<out_root>/<time>-<name>[-n]`; earlier runs are never overwritten (used by run and
    capacity)."""
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


def run(options: RunOptions, progress: Progress | None = None) -> Exit:
    from harness.finish import finish

    target = make_target(options)   # bad usage (target config, schedule) fails before any run folder exists
    schedule = load_profile_schedule(options)
    run_dir = new_run_dir(options)
    ctx = RunContext(options, run_dir, progress or Progress.for_terminal(), schedule=schedule)
    target.ctx = ctx
    (run_dir / "run.json").write_text(json.dumps(
        {**asdict(options), "profile": asdict(options.profile), "out_root": str(options.out_root),
         "run_dir": str(run_dir), "config": str(options.config) if options.config else None,
         "slo": asdict(options.slo) if options.slo else None,
         "scheduled_faults": [{"entry": e.index, "use": e.use, "at": e.at, "for": e.for_s}   # the evidence floor's
                              for e in (schedule.entries if schedule is not None else ())]}, indent=2, default=str))
    ledger_ok = reads = None
    with signals_raise():
        try:
            reads = _run_phases(ctx, target)
            ledger_ok = True
        except Interrupted as sig:
            ctx.inconclusive.append(f"interrupted by {sig} during {ctx.phase}")
        except (DinerushError, FaultError) as err:   # a fault that did not apply, a dead service...
            ctx.inconclusive.append(f"{ctx.phase}: {err}")
        finally:
            ctx.progress.close()
    with signals_deferred():   # the stack is down; let the (partial) report be written whole
        return finish(ctx, reads, complete=bool(ledger_ok))


def _run_phases(ctx: RunContext, target: Target):
    with ExitStack() as stack:
        ctx.phase = "up"
        ctx.progress.phase("up", "starting the stack")
        endpoints = stack.enter_context(target.up())
        ctx.phase = "probe"
        ctx.progress.phase("probe", "one order end to end")
        ctx.probe_line = target.probe()
        ctx.event("probe", line=ctx.probe_line)
        _load_and_faults(ctx, target, endpoints)
        drain(ctx, target)
        return save_final_reads(ctx, target)


def save_final_reads(ctx, target: Target):
    """The final reads, saved as final_reads.json (so the run can be re-audited offline), and the logs."""
    ctx.phase = "reads"
    ctx.progress.phase("reads", "reading the systems of record")
    reads = target.read_final()
    (ctx.run_dir / "final_reads.json").write_text(reads.to_json())
    target.collect_logs()
    return reads


def _load_and_faults(ctx: RunContext, target: Target, endpoints) -> None:
    opts, prof, schedule = ctx.options, ctx.options.profile, ctx.schedule
    spec = LoadSpec(host=target.diner_url, duration_s=prof.duration_s, users=prof.users,
                    spawn_rate=prof.spawn_rate, seed=opts.seed, shape=prof.shape, mix=prof.mix,
                    workers=opts.workers, adapter=getattr(target, "diner_adapter", ""))
    locust = LocustRun(spec, ctx.run_dir)
    client = target.fault_client()
    ctx.phase = "load"
    ctx.progress.phase("load", f"{prof.duration_s:.0f}s of diners" + (f", timeline {schedule.name}" if schedule else ""))
    with ExitStack() as stack:
        runner = None
        if schedule is not None:
            client.reset()   # a long-lived (external) Toxiproxy may hold toxics from an earlier crashed run
            runner = stack.enter_context(TimelineRunner(client, schedule, processes=target.process_control(),
                                                               gateway=target.gateway_control(),
                                                               restart_proxy=target.fault_proxy_restart()))
            runner.preflight()
        ctx.load_launched_wall = time.time()
        locust.start()
        stack.callback(locust.stop)
        launched = time.monotonic()
        t0 = None   # the timeline's zero: the first moment Locust reports diners (it needs a few s to boot)
        hard_stop = prof.duration_s + spec.stop_timeout_s + 60
        try:
            while locust.alive():
                now = time.monotonic()
                if t0 is None:
                    if locust.progress().users == 0 and now - launched < 20:
                        ctx.progress.phase_tick("load", "Locust starting")
                        time.sleep(0.2)
                        continue
                    t0, ctx.load_started_wall = now, time.time()
                    ctx.event("load started", boot_s=round(now - launched, 2))
                elapsed = now - t0
                if runner is not None and not runner.done:
                    try:
                        ctx.stamps.extend(s.as_dict() for s in runner.step(elapsed))
                    finally:
                        ctx.stamps[:] = [s.as_dict() for s in runner.stamps]
                for name in target.dead_services():
                    raise SetupError(f"stack service {name} died at {elapsed:.1f}s of load: see logs/{name}.log")
                active = [e.use for e in runner.active] if runner else []
                ctx.progress.load(elapsed, prof.duration_s, locust.progress(), active)
                if elapsed > hard_stop:
                    raise SetupError(f"Locust did not stop {hard_stop:.0f}s after the load began: see logs/locust.log")
                time.sleep(0.25)
        finally:
            if runner is not None:
                phase, ctx.phase = ctx.phase, "heal"
                try:
                    runner.heal_all()
                finally:
                    ctx.stamps[:] = [s.as_dict() for s in runner.stamps]
                ctx.phase = phase   # healed: what ends the load (a signal, a dead service) is reported as load's
            ctx.load_ended_wall = time.time()
        code = locust.child.proc.returncode if locust.child and locust.child.proc else None
        if code not in (0, None):
            raise SetupError(f"Locust exited with code {code}: see logs/locust.log")
        if not locust.ledger_path.exists():
            raise SetupError("Locust wrote no ledger: see logs/locust.log")


def drain(ctx, target: Target) -> None:
    """Wait until the outbox, the kitchen queue and pending payments are empty (three polls in a row), or the
    profile's deadline; a stack service that dies meanwhile is a SetupError naming it."""
    ctx.phase = "drain"
    deadline = time.monotonic() + ctx.options.profile.drain_deadline_s
    ctx.progress.phase("drain", "waiting for outbox, kitchen queue and payments to settle")
    calm = 0
    t0 = time.monotonic()
    while time.monotonic() < deadline:
        for name in target.dead_services():
            raise SetupError(f"stack service {name} died {time.monotonic() - t0:.1f}s into the drain: "
                             f"see logs/{name}.log")
        backlog = target.backlog()
        ctx.progress.drain(backlog)
        calm = calm + 1 if (backlog.outbox_unsent, backlog.queue_messages, backlog.payments_pending) == (0, 0, 0) else 0
        if calm >= 3:
            ctx.event("drained")
            return
        time.sleep(0.5)
    ctx.event("drain deadline passed", backlog=asdict(target.backlog()))
