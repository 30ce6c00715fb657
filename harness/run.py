"""`dinerush run`: a session (harness/session.py: up → probe → load → drain → final reads) whose load carries
the profile's fault timeline, then finish (audit → report).

Whatever happens (a failed fault, Ctrl-C, SIGTERM, a dead service), faults are healed, the stack is stopped and a
report is written, marked inconclusive when the run could not be judged.
"""
from __future__ import annotations

import time
from contextlib import ExitStack

from faults.errors import FaultError
from faults.runner import TimelineRunner
from faults.schedule import load_schedule
from harness.errors import Exit, UsageError
from harness.loadgen import LoadSpec
from harness.progress import Progress
from harness.run_record import RunRecord
from harness.session import (LoadWatch, RunContext, RunOptions, make_run_dir, run_session, signals_deferred,
                             watch_load)
from harness.targets import Target, make_target

__all__ = ["RunContext", "RunOptions", "load_profile_schedule", "run"]


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


def run(options: RunOptions, progress: Progress | None = None) -> Exit:
    from harness.finish import finish

    target = make_target(options)   # bad usage (target config, schedule) fails before any run folder exists
    schedule = load_profile_schedule(options)
    run_dir = make_run_dir(options.out_root, options.run_dir, options.profile.name)
    ctx = RunContext(options, run_dir, progress or Progress.for_terminal(), schedule=schedule)
    record = RunRecord.start(options, run_dir, schedule)   # the scheduled faults: the evidence floor's
    (run_dir / "run.json").write_text(record.to_json())
    reads = run_session(ctx, target, lambda: load_and_faults(ctx, target))
    with signals_deferred():   # the stack is down; let the (partial) report be written whole
        return finish(ctx, record, reads, complete=reads is not None)


def load_and_faults(ctx: RunContext, target: Target) -> None:
    """The profile's load with its fault timeline: faults applied on time from the first diners, every one healed
    (and stamped) however the load ends."""
    opts, prof, schedule = ctx.options, ctx.options.profile, ctx.schedule
    spec = LoadSpec(host=target.diner_url, duration_s=prof.duration_s, users=prof.users,
                    spawn_rate=prof.spawn_rate, seed=opts.seed, shape=prof.shape, mix=prof.mix,
                    workers=opts.workers, adapter=target.diner_adapter)
    ctx.phase = "load"
    ctx.progress.phase("load", f"{prof.duration_s:.0f}s of diners"
                       + (f", timeline {schedule.name}" if schedule else ""))
    with ExitStack() as stack:
        runner = None
        if schedule is not None:
            client = target.fault_client()
            client.reset()   # a long-lived (external) Toxiproxy may hold toxics from an earlier crashed run
            runner = stack.enter_context(TimelineRunner(client, schedule, processes=target.process_control(),
                                                        gateway=target.gateway_control(),
                                                        restart_proxy=target.fault_proxy_restart()))
            runner.preflight()

        def tick(elapsed: float) -> list[str]:
            if runner is None:
                return []
            if not runner.done:
                try:
                    runner.step(elapsed)
                finally:
                    ctx.stamps[:] = runner.stamps
            return [e.use for e in runner.active]

        def ended() -> None:
            if runner is not None:
                phase, ctx.phase = ctx.phase, "heal"
                try:
                    runner.heal_all()
                finally:
                    ctx.stamps[:] = runner.stamps
                ctx.phase = phase   # healed: what ends the load (a signal, a dead service) is reported as load's
            ctx.load_ended_wall = time.time()

        watch_load(ctx, target, spec, ctx.run_dir, LoadWatch("load", tick=tick, ended=ended))
