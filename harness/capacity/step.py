"""One step of the capacity search: a Locust child at a fixed number of diners, sampled while it runs, cut to its
steady window and measured (served orders/s, p95s, errors, CPU and database waits)."""
from __future__ import annotations

import os
import time

from harness.capacity.context import CapacityContext
from harness.capacity.resources import DB_WAIT_SQL, CpuMeter, Samples, machine_seconds, resources
from harness.capacity.search import Next, StepResult
from harness.capacity.speed import SpeedProbe
from harness.capacity.window import cut, ledger_rates, step_window
from harness.errors import SetupError
from harness.loadgen import LoadSpec
from harness.report.locust_csv import read_stats_history
from harness.session import LoadWatch, watch_load
from scenarios.ledger import read_ledger


def db_conn(target):
    """A connection to the orders database for the wait samples, or None (a figure, not a requirement)."""
    dbs = target.databases
    if dbs is None:
        return None
    try:
        import psycopg
        return psycopg.connect(dbs.orders, connect_timeout=5, autocommit=True)
    except Exception:   # database waits are a figure, not a requirement
        return None


def run_step(ctx: CapacityContext, target, nxt: Next, index: int, roots: dict[str, int], conn) -> StepResult:
    opts = ctx.options
    seconds = opts.seconds_of(nxt.kind)
    step_dir = ctx.run_dir / "steps" / f"{index:02d}-{nxt.users}u"
    step_dir.mkdir(parents=True)
    spawn = max(1.0, nxt.users / max(1.0, min(2.0, opts.warmup)))
    spec = LoadSpec(host=target.diner_url, duration_s=seconds, users=nxt.users, spawn_rate=spawn,
                    seed=opts.seed + index, mix=opts.mix, workers=opts.workers, stop_timeout_s=opts.stop_timeout_s,
                    adapter=target.diner_adapter,
                    extra=("--dinerush-run-id", f"{ctx.run_tag}s{index:02d}"))
    ctx.progress.phase("step", f"{index}: {nxt.users} diners for {seconds:.0f}s ({nxt.kind})")
    samples = Samples()
    meter: CpuMeter | None = None    # made once Locust runs: its tree is measured too
    last_sample = 0.0
    under = [opts.under.text] if opts.under else []

    def tick(elapsed: float) -> list[str]:
        # Locust flushes its CSVs only every few seconds, so sample on our own clock (every ~1 s) and cut the
        # samples to the step's window afterwards, when the stats history tells us where the window was.
        nonlocal last_sample, conn
        now = time.monotonic()
        if meter is not None and now - last_sample >= 1.0:
            last_sample = now
            samples.cpu.append((time.time(), meter.snapshot()))
            samples.machine.append((time.time(), *machine_seconds()))
            if conn is not None:
                try:
                    active, waiting = conn.execute(DB_WAIT_SQL).fetchone()
                    samples.db.append((time.time(), int(active), int(waiting)))
                except Exception:   # a figure, not a requirement
                    conn = None
        return under

    def started(locust) -> None:
        nonlocal meter
        meter = CpuMeter({**roots, "locust": locust.child.pid})

    with SpeedProbe() as probe:     # the machine's own speed, for the capacity adjusted to a reference speed
        locust = watch_load(ctx, target, spec, step_dir,
                            LoadWatch(f"load (step {index})", needs_ledger=False, started=started, tick=tick))
    backlog = target.backlog()
    path = step_dir / "locust_stats_history.csv"
    if not path.exists():
        raise SetupError(f"Locust wrote no stats history in step {index}: see {step_dir}/logs/locust.log")
    history = read_stats_history(path)
    w = step_window(history, opts.warmup, seconds)
    if w is None:
        raise SetupError(f"step {index}: Locust reported no diners: see {step_dir}/logs/locust.log")
    stats = cut(history, w, place=opts.slo.place_request, pay=opts.slo.pay_request)
    try:
        with open(locust.ledger_path, encoding="utf-8") as fp:
            rates = ledger_rates(list(read_ledger(fp)), w)
        attempted, served = rates.attempted_per_s, rates.served_per_s
    except (OSError, ValueError):
        attempted, served = stats.place_attempts_per_s, stats.place_ok_per_s   # no ledger: Locust's own counts
        ctx.notes.append(f"step {index}: no readable ledger, orders/s from Locust's place requests")
    return StepResult(
        index=index, users=nxt.users, kind=nxt.kind, window_s=round(w.seconds, 2),
        attempted_ops=round(attempted, 3), served_ops=round(served, 3),
        p95_place_ms=stats.p95_place_ms, p95_pay_ms=stats.p95_pay_ms,
        p50_place_ms=stats.p50_place_ms, p50_pay_ms=stats.p50_pay_ms,
        error_rate=round(stats.error_rate, 5) if stats.error_rate is not None else None, requests=stats.requests,
        resources=resources(samples.cpu_pct(w.start, w.end), os.cpu_count() or 1, samples.db_waits(w.start, w.end),
                            backlog, samples.machine_pct(w.start, w.end)),
        speed=speed.units_per_cpu_ms if (speed := probe.over(w.start, w.end)) else None,
    )
