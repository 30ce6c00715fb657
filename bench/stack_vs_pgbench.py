"""The stack's confirmed orders/s end to end vs pgbench TPS on the same private PostgreSQL.

    .venv/bin/python bench/stack_vs_pgbench.py [--users 20] [--warmup 10] [--window 20]
                                               [--clients 8] [--jobs 2] [--pgbench-seconds 20] [--scale 8]

1. The local stack (PostgreSQL, RabbitMQ, Toxiproxy, the four services) under one Locust process of
   dinerush diners with no think time (enough users to saturate it). After the warm-up, a window is
   read from the databases' own clock: a *confirmed* order is a kitchen ticket received in the window
   whose order is PAID in the orders database (placed + paid + ticket on the KDS).
2. Locust stops, the four services stop (so they idle nothing), and pgbench's built-in TPC-B-like
   script runs on a scratch database of the same PostgreSQL cluster (same settings, read back and printed),
   over TCP on 127.0.0.1.
Prints both figures and their ratio. Everything started here is stopped before it exits.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, sigterm_as_exit  # noqa: E402
from harness.runtime.local import LocalStack  # noqa: E402
from harness.runtime.postgres import SUPERUSER, postgres_bindir  # noqa: E402
from harness.runtime.procs import LOOPBACK, Child  # noqa: E402

SCRATCH_DB = "pgbench_scratch"


def db_now(dsn: str) -> float:
    import psycopg
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
        return conn.execute("SELECT extract(epoch FROM clock_timestamp())::float8").fetchone()[0]


def window_counts(orders_dsn: str, kitchen_dsn: str, t1: float, t2: float) -> dict[str, int]:
    """Orders placed / paid and tickets received in (t1, t2], and tickets whose order is PAID (confirmed)."""
    import psycopg
    between = "> to_timestamp(%s) AND {col} <= to_timestamp(%s)"
    with psycopg.connect(kitchen_dsn, autocommit=True, connect_timeout=5) as k:
        ids = [r[0] for r in k.execute(
            "SELECT order_id FROM tickets WHERE received_at " + between.format(col="received_at"), (t1, t2))]
    with psycopg.connect(orders_dsn, autocommit=True, connect_timeout=5) as o:
        placed = o.execute("SELECT count(*) FROM orders WHERE created_at " + between.format(col="created_at"),
                           (t1, t2)).fetchone()[0]
        paid = o.execute("SELECT count(*) FROM orders WHERE paid_at " + between.format(col="paid_at"),
                         (t1, t2)).fetchone()[0]
        confirmed = o.execute("SELECT count(*) FROM orders WHERE status = 'PAID' AND id = ANY(%s)",
                              (ids,)).fetchone()[0]
    return {"placed": placed, "paid": paid, "tickets": len(ids), "confirmed": confirmed}


def pg_settings(dsn: str, names: tuple[str, ...] = ("fsync", "synchronous_commit", "full_page_writes")) -> str:
    """The durability settings the cluster really runs with, as `name=value, ...` (printed, not assumed)."""
    import psycopg
    with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
        return ", ".join(f"{n}={conn.execute(f'SHOW {n}').fetchone()[0]}" for n in names)


def cpu_seconds(pid: int) -> float:
    import psutil
    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


def run_pgbench(stack: LocalStack, run_dir: Path, scale: int, clients: int, jobs: int, seconds: int) -> tuple[float, str]:
    import psycopg
    assert stack.postgres is not None
    port = stack.postgres.port
    with psycopg.connect(stack.postgres.dsn("postgres"), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{SCRATCH_DB}"')
        conn.execute(f'CREATE DATABASE "{SCRATCH_DB}"')
    pgbench = str(postgres_bindir() / "pgbench")
    conn_args = ["-h", LOOPBACK, "-p", str(port), "-U", SUPERUSER]
    init = subprocess.run([pgbench, "-i", "-q", "-s", str(scale), *conn_args, SCRATCH_DB],
                          capture_output=True, text=True, timeout=300)
    if init.returncode != 0:
        raise RuntimeError(f"pgbench -i failed: {init.stderr.strip()[-400:]}")
    argv = [pgbench, "-c", str(clients), "-j", str(jobs), "-T", str(seconds), *conn_args, SCRATCH_DB]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120)
    (run_dir / "pgbench.out").write_text(run.stdout + run.stderr)
    m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", run.stdout)
    if run.returncode != 0 or m is None:
        raise RuntimeError(f"pgbench failed (code {run.returncode}): {(run.stdout + run.stderr).strip()[-400:]}")
    return float(m.group(1)), " ".join(["pgbench", *argv[1:]])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--warmup", type=float, default=10.0)
    ap.add_argument("--window", type=float, default=20.0)
    ap.add_argument("--mix", default="dine_in=1,takeaway=1", help="diner kinds (dinerush --dinerush-mix)")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--pgbench-seconds", type=int, default=20)
    ap.add_argument("--scale", type=int, default=8, help="pgbench -i -s (>= clients avoids branch-row contention)")
    ap.add_argument("--keep", action="store_true", help="keep the run folder (logs, ledger, pgbench output)")
    args = ap.parse_args()
    if not (1 <= args.users <= 500 and 1 <= args.window <= 300 and 1 <= args.pgbench_seconds <= 300
            and 1 <= args.clients <= 100 and 1 <= args.scale <= 100):
        ap.error("--users 1..500, --window 1..300, --pgbench-seconds 1..300, --clients 1..100, --scale 1..100")
    sigterm_as_exit()
    run_dir = Path(tempfile.mkdtemp(prefix="dinerush-bench-"))
    run_dir.chmod(0o755)  # the postgres and rabbitmq users must enter it
    t_all = time.monotonic()
    try:
        with LocalStack(run_dir / "stack") as stack:
            ep = stack.endpoints
            assert ep is not None
            run_time = int(args.warmup + args.window + 5)
            locust = Child("locust", [
                sys.executable, "-m", "locust", "-f", str(REPO / "scenarios" / "locustfile.py"), "--headless",
                "--host", ep.orders_api_url, "-u", str(args.users), "-r", str(args.users), "-t", f"{run_time}s",
                "--stop-timeout", "5", "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0",
                "--csv", str(run_dir / "locust"), "--dinerush-ledger", str(run_dir / "ledger.jsonl"),
                "--dinerush-mix", args.mix, "--dinerush-think", "0", "--dinerush-seed", "1",
            ], run_dir / "locust.log", cwd=REPO).start()
            try:
                time.sleep(args.warmup)
                if not locust.alive():
                    raise RuntimeError(f"locust exited early: {locust.log_tail()}")
                t1, c1, w1 = db_now(ep.orders_dsn), cpu_seconds(locust.pid), time.monotonic()
                time.sleep(args.window)
                t2, c2, w2 = db_now(ep.orders_dsn), cpu_seconds(locust.pid), time.monotonic()
                counts = window_counts(ep.orders_dsn, ep.kitchen_dsn, t1, t2)
                try:
                    locust.proc.wait(run_time + 30)
                except subprocess.TimeoutExpired:
                    pass
            finally:
                locust.stop(timeout=10, sig=signal.SIGTERM)
            for child in stack.services.values():  # a quiet machine for pgbench; stop() later skips them
                child.stop()
            tps, pg_cmd = run_pgbench(stack, run_dir, args.scale, args.clients, args.jobs, args.pgbench_seconds)
            settings = pg_settings(ep.orders_dsn)
    finally:
        if not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
    span = t2 - t1
    ops = counts["confirmed"] / span
    print(f"stack vs pgbench on one private PostgreSQL 15 ({settings}), {os.cpu_count()} cores, "
          f"{time.monotonic() - t_all:.0f} s in all")
    print(f"stack: {args.users} diners ({args.mix}, think 0), one Locust process at "
          f"{100 * (c2 - c1) / (w2 - w1):.0f}% of a core; window {span:.1f} s after {args.warmup:g} s warm-up:")
    print(f"  placed {counts['placed']}, paid {counts['paid']}, tickets on the KDS {counts['tickets']}, "
          f"confirmed (ticket + order PAID) {counts['confirmed']}")
    print(f"  confirmed orders/s: {ops:.1f}")
    print(f"pgbench: {pg_cmd.replace(str(SCRATCH_DB), SCRATCH_DB)} (scale {args.scale}, TPC-B-like)")
    print(f"  tps: {tps:.1f}")
    print(f"ratio confirmed orders/s / pgbench tps: {ops / tps:.4f}  (1 confirmed order per {tps / ops:.1f} "
          f"pgbench transactions)" if ops > 0 else "ratio: no confirmed orders in the window")
    return 0


if __name__ == "__main__":
    sys.exit(main())
