"""The stack's confirmed orders/s end to end vs pgbench TPS on the same private PostgreSQL, and where its CPU goes.

    .venv/bin/python bench/stack_vs_pgbench.py [--users 20] [--warmup 10] [--window 20]
                                               [--wiring direct,toxiproxy] [--clients 8] [--jobs 2]
                                               [--pgbench-seconds 20] [--scale 8]

1. For each wiring, a local stack (PostgreSQL, RabbitMQ, Toxiproxy, the four services) under one Locust
   process of dinerush diners with no think time (enough users to saturate it). `direct`: the services and
   Locust dial each other's real ports (no proxy in any path, like pgbench); `toxiproxy`: every hop through
   its proxy, the wiring of `dinerush run`. After the warm-up, a window is read from the databases' own
   clock: a *confirmed* order is a kitchen ticket received in the window whose order is PAID in the orders
   database (placed + paid + ticket on the KDS). Over the same window, each process's CPU seconds (/proc, one pass;
   PostgreSQL summed over the cluster's processes, RabbitMQ over its VM) are printed as ms per confirmed order.
2. After the last wiring, Locust and the four services stop (so they idle nothing), and pgbench's built-in
   TPC-B-like script runs on a scratch database of that stack's PostgreSQL cluster (settings read back and
   printed), over TCP on 127.0.0.1.
Prints the figures and each wiring's ratio; the target (issue 16: >= 0.05) is judged on the direct one, as
pgbench's figure has no proxy in it either. Everything started here is stopped before it exits.
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
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import REPO, sigterm_as_exit  # noqa: E402
from bench.proc_cpu import PartCpu, snapshot, split, table  # noqa: E402
from harness.runtime.local import LocalStack, StackOptions  # noqa: E402
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


@dataclass(frozen=True)
class StackRun:
    """One wiring's window: counts from the databases, its span in seconds, CPU per part, Locust's share."""

    wiring: str
    counts: dict[str, int]
    span: float
    cpu: list[PartCpu]
    locust_core: float     # Locust's CPU seconds per wall second in the window

    @property
    def ops(self) -> float:
        return self.counts["confirmed"] / self.span


def cpu_parts(stack: LocalStack, locust: Child) -> dict[str, list[int]]:
    """Root pids of every part whose CPU the bench splits (each counts with its descendants)."""
    assert stack.postgres is not None and stack.postgres.child is not None and stack.rabbit is not None
    assert stack.toxiproxy is not None and stack.toxiproxy.child is not None
    parts = {name: [child.pid] for name, child in stack.services.items()}
    return {**parts, "postgres (all backends)": [stack.postgres.child.pid], "rabbitmq": stack.rabbit.pids(),
            "toxiproxy": [stack.toxiproxy.child.pid], "locust": [locust.pid]}


def measure(stack: LocalStack, wiring: str, args: argparse.Namespace, run_dir: Path) -> StackRun:
    """Saturate `stack` with one Locust process; count and split the CPU of a window after the warm-up."""
    ep = stack.endpoints
    assert ep is not None
    run_time = int(args.warmup + args.window + 5)
    locust = Child(f"locust-{wiring}", [
        sys.executable, "-m", "locust", "-f", str(REPO / "scenarios" / "locustfile.py"), "--headless",
        "--host", ep.orders_api_url, "-u", str(args.users), "-r", str(args.users), "-t", f"{run_time}s",
        "--stop-timeout", "5", "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0",
        "--csv", str(run_dir / f"locust-{wiring}"), "--dinerush-ledger", str(run_dir / f"ledger-{wiring}.jsonl"),
        "--dinerush-mix", args.mix, "--dinerush-think", "0", "--dinerush-seed", "1",
    ], run_dir / f"locust-{wiring}.log", cwd=REPO).start()
    try:
        time.sleep(args.warmup)
        if not locust.alive():
            raise RuntimeError(f"locust exited early: {locust.log_tail()}")
        parts = cpu_parts(stack, locust)
        t1, s1, w1 = db_now(ep.orders_dsn), snapshot(parts), time.monotonic()
        time.sleep(args.window)
        t2, s2, w2 = db_now(ep.orders_dsn), snapshot(parts), time.monotonic()
        counts = window_counts(ep.orders_dsn, ep.kitchen_dsn, t1, t2)
        try:
            locust.proc.wait(run_time + 30)
        except subprocess.TimeoutExpired:
            pass
    finally:
        locust.stop(timeout=10, sig=signal.SIGTERM)
    cpu = split(s1, s2)
    locust_cpu = next(p.seconds for p in cpu if p.name == "locust")
    return StackRun(wiring, counts, t2 - t1, cpu, locust_cpu / (w2 - w1))


WIRINGS = {"direct": True, "toxiproxy": False}   # wiring name → LocalStack's direct option


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--warmup", type=float, default=10.0)
    ap.add_argument("--window", type=float, default=20.0)
    ap.add_argument("--mix", default="dine_in=1,takeaway=1", help="diner kinds (dinerush --dinerush-mix)")
    ap.add_argument("--wiring", default="direct,toxiproxy",
                    help="stack wirings to measure, in order: direct (services dial each other's real ports, "
                         "as pgbench does; the target is judged on it) and/or toxiproxy (every hop through its "
                         "proxy, as a dinerush run has it)")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--pgbench-seconds", type=int, default=20)
    ap.add_argument("--scale", type=int, default=8, help="pgbench -i -s (>= clients avoids branch-row contention)")
    ap.add_argument("--keep", action="store_true", help="keep the run folder (logs, ledger, pgbench output)")
    args = ap.parse_args()
    if not (1 <= args.users <= 500 and 1 <= args.window <= 300 and 1 <= args.pgbench_seconds <= 300
            and 1 <= args.clients <= 100 and 1 <= args.scale <= 100):
        ap.error("--users 1..500, --window 1..300, --pgbench-seconds 1..300, --clients 1..100, --scale 1..100")
    wirings = [w.strip() for w in args.wiring.split(",") if w.strip()]
    if not wirings or any(w not in WIRINGS for w in wirings) or len(set(wirings)) != len(wirings):
        ap.error(f"--wiring: a comma-separated subset of {','.join(WIRINGS)}, e.g. --wiring direct")
    sigterm_as_exit()
    run_dir = Path(tempfile.mkdtemp(prefix="dinerush-bench-"))
    run_dir.chmod(0o755)  # the postgres and rabbitmq users must enter it
    t_all = time.monotonic()
    runs: list[StackRun] = []
    try:
        for i, wiring in enumerate(wirings):
            with LocalStack(run_dir / f"stack-{wiring}", StackOptions(direct=WIRINGS[wiring])) as stack:
                runs.append(measure(stack, wiring, args, run_dir))
                if i < len(wirings) - 1:
                    continue
                for child in stack.services.values():  # a quiet machine for pgbench; stop() later skips them
                    child.stop()
                assert stack.endpoints is not None
                tps, pg_cmd = run_pgbench(stack, run_dir, args.scale, args.clients, args.jobs, args.pgbench_seconds)
                settings = pg_settings(stack.endpoints.orders_dsn)
    finally:
        if not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
        else:
            print(f"run folder kept: {run_dir}")
    print(f"stack vs pgbench on one private PostgreSQL 15 ({settings}), {os.cpu_count()} cores, "
          f"{time.monotonic() - t_all:.0f} s in all, load average at the end {os.getloadavg()[0]:.2f}")
    for run in runs:
        c = run.counts
        print(f"stack, {run.wiring} wiring: {args.users} diners ({args.mix}, think 0), one Locust process at "
              f"{100 * run.locust_core:.0f}% of a core; window {run.span:.1f} s after {args.warmup:g} s warm-up:")
        print(f"  placed {c['placed']}, paid {c['paid']}, tickets on the KDS {c['tickets']}, "
              f"confirmed (ticket + order PAID) {c['confirmed']}")
        print(f"  confirmed orders/s: {run.ops:.1f}")
        print("\n".join(table(run.cpu, c["confirmed"])))
    print(f"pgbench: {pg_cmd} (scale {args.scale}, TPC-B-like), on the {wirings[-1]} stack's cluster")
    print(f"  tps: {tps:.1f}")
    for run in runs:
        judged = " (the target is judged on this one: the stack's own cost, as pgbench runs unproxied)" \
            if run.wiring == "direct" else " (what a dinerush run sees: every hop through Toxiproxy)"
        print(f"ratio confirmed orders/s / pgbench tps, {run.wiring}: {run.ops / tps:.4f}{judged}"
              if run.ops > 0 else f"ratio, {run.wiring}: no confirmed orders in the window")
    return 0


if __name__ == "__main__":
    sys.exit(main())
