"""One step of the capacity search: a Locust child at a fixed number of diners, sampled while it runs, cut to its
steady window and measured (served orders/s, p95s, errors, CPU and database waits)."""
from __future__ import annotations

import os
import time
from contextlib import ExitStack

from harness.capacity.context import CapacityContext
from harness.capacity.resources import DB_WAIT_SQL, CpuMeter, Samples, machine_seconds, resources
from harness.capacity.search import Next, StepResult
from harness.capacity.window import cut, ledger_rates, step_window
from harness.errors import SetupError
from harness.loadgen import LoadSpec, LocustRun
from harness.report.locust_csv import read_stats_history
from scenarios.ledger import read_ledger


def process_roots(target) -> dict[str, int]:
    """Named process-group leaders of a local stack (empty for a stack we did not start)."""
    stack = getattr(target, "stack", None)
    if stack is None:
        return {}
    roots = {name: child.pid for name, child in stack.services.items() if child.proc is not None}
    if stack.postgres is not None and stack.postgres.child is not None:
        roots["postgres"] = stack.postgres.child.pid
    if stack.rabbit is not None and stack.rabbit.child is not None:
        roots["rabbitmq"] = stack.rabbit.child.pid
    if stack.toxiproxy is not None and stack.toxiproxy.child is not None:
        roots["toxiproxy"] = stack.toxiproxy.child.pid
    return roots


def db_conn(target):
    dbs = getattr(target, "databases", None)
    if dbs is None:
        return None
    try:
        import psycopg
        return psycopg.connect(dbs.orders, connect_timeout=5, autocommit=True)
    except Exception:   # database waits are a figure, not a requirement
        return None


def run_step(ctx: CapacityContext, target, nxt: Next, index: int, roots: dict[str, int], conn) -> StepResult:
    opts = ctx.options
    step_dir = ctx.run_dir / "steps" / f"{index:02d}-{nxt.users}u"
    step_dir.mkdir(parents=True)
    spawn = max(1.0, nxt.users / max(1.0, min(2.0, opts.warmup)))
    spec = LoadSpec(host=target.diner_url, duration_s=opts.step_seconds, users=nxt.users, spawn_rate=spawn,
                    seed=opts.seed + index, mix=opts.mix, workers=opts.workers, stop_timeout_s=opts.stop_timeout_s,
                    extra=("--dinerush-run-id", f"{ctx.run_tag}s{index:02d}"))
    locust = LocustRun(spec, step_dir)
    ctx.progress.phase("step", f"{index}: {nxt.users} diners for {opts.step_seconds:.0f}s ({nxt.kind})")
    samples = Samples()
    with ExitStack() as stack:
        locust.start()
        stack.callback(locust.stop)
        meter = CpuMeter({**roots, "locust": locust.child.pid})
        launched = time.monotonic()
        hard = opts.step_seconds + opts.stop_timeout_s + 90
        last_sample = 0.0
        under = [opts.under.text] if opts.under else []
        # Locust flushes its CSVs only every few seconds, so sample on our own clock (every ~1 s) and cut the
        # samples to the step's window afterwards, when the stats history tells us where the window was.
        while locust.alive():
            now = time.monotonic()
            if now - last_sample >= 1.0:
                last_sample = now
                samples.cpu.append((time.time(), meter.snapshot()))
                samples.machine.append((time.time(), *machine_seconds()))
                if conn is not None:
                    try:
                        active, waiting = conn.execute(DB_WAIT_SQL).fetchone()
                        samples.db.append((time.time(), int(active), int(waiting)))
                    except Exception:   # a figure, not a requirement
                        conn = None
            ctx.progress.load(min(now - launched, opts.step_seconds), opts.step_seconds, locust.progress(), under)
            for name in target.dead_services():
                raise SetupError(f"stack service {name} died during step {index}: see logs/{name}.log")
            if now - launched > hard:
                raise SetupError(f"Locust did not finish step {index} in {hard:.0f}s: see {step_dir}/logs/locust.log")
            time.sleep(0.25)
    code = locust.child.proc.returncode if locust.child and locust.child.proc else None
    if code not in (0, None):
        raise SetupError(f"Locust exited with code {code} in step {index}: see {step_dir}/logs/locust.log")
    backlog = target.backlog()
    path = step_dir / "locust_stats_history.csv"
    if not path.exists():
        raise SetupError(f"Locust wrote no stats history in step {index}: see {step_dir}/logs/locust.log")
    history = read_stats_history(path)
    w = step_window(history, opts.warmup, opts.step_seconds)
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
    )
