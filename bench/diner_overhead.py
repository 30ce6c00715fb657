"""Load-generation cost: a dinerush diner (DineIn) vs a bare Locust FastHttpUser doing the same requests.

    .venv/bin/python bench/diner_overhead.py [--target canned|stack|both] [--users 20] [--warmup 5] [--window 20]
                                             [--slice 1] [--settle 0.3] [--procs 2] [--rounds 1] [--aa] [--keep]

Each round starts one headless Locust process per side (`--procs` times in turn: fresh processes, so one
process's layout luck weighs less), against the same endpoint: GET /menu, POST /orders
(Idempotency-Key + JSON body), POST /orders/{id}/pay, and 1 in 4 a GET /orders/{id}. The diner adds what
dinerush is for: Faker data, retry verdicts, the journey and its ledger entry (written to a JSON-lines file).
Stale-menu and declined-card rates are 0 so both sides send the same requests. Only one side runs at a
time (the other SIGSTOPped), in short windows A B B A …; the measure is the Locust process's CPU seconds
per request in a window (sampled inside the process), the pair's ratio diner / bare compares two windows a
few seconds apart, and a round's overhead is the median of its pairs' ratios − 1. A drift of the
machine's speed over minutes hits both sides of a pair alike; `--aa` runs bare against bare to show the
method's own noise.

Targets: `canned` is a tiny canned-JSON server on 127.0.0.1 (Locust is the bottleneck: the clean
measure); `stack` is the real local stack (PostgreSQL, RabbitMQ, Toxiproxy, services) — it saturates
first, so Locust idles, and the per-request CPU includes Locust's fixed per-second housekeeping.

This file is also the locustfile of both sides (DINERUSH_BENCH_SIDE=bare|diner chooses).
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

if TYPE_CHECKING:
    from bench.common import LocustSide
    from bench.interleave import Window

TARGET_OVERHEAD = 0.10   # issue 16: <= 10% in every round
SIDE_ENV = "DINERUSH_BENCH_SIDE"
_SIDE = os.environ.get(SIDE_ENV, "")

if __name__ != "__main__" and _SIDE:  # ---- imported by Locust --------------------------------------------------
    from locust import events

    from bench.common import install_probe

    if _SIDE == "diner":
        from scenarios.locustfile import DineIn  # noqa: F401  (also installs dinerush's listeners)
    else:
        import itertools
        import random

        from locust import FastHttpUser, constant, task

        BODY = {"channel": "dine_in", "table": "12",
                "items": [{"dish_id": "D01", "qty": 1}, {"dish_id": "D03", "qty": 2}],
                "note": "no onions", "diner": {"name": "Wang Fang", "phone": "+86 131 0000 0000"}}
        _users = itertools.count()

        class BareDiner(FastHttpUser):
            """The same requests as DineIn with think 0, without Faker, verdicts, retries or a ledger.

            Like for like: it reads what a plain script must read to make the same requests — the order id
            from the POST /orders answer (parsed JSON) — and, as a script choosing dishes would, parses
            the menu each time; it judges the payment by its status code only (no JSON). The diner parses
            the answers it classifies (place, pay), and the menu only when its bytes change."""

            wait_time = constant(0)

            def on_start(self) -> None:
                self.no, self.n = next(_users), 0

            @task
            def dine(self) -> None:
                self.n += 1
                self.client.get("/menu", name="menu").json()
                r = self.client.post("/orders", json=BODY, headers={"Idempotency-Key": f"bare-{self.no}-{self.n}"},
                                     name="place")
                if r.status_code != 201:
                    return
                oid = r.json()["order_id"]
                r = self.client.post(f"/orders/{oid}/pay", json={"card": "tok_visa"}, name="pay")
                if r.status_code == 200 and random.random() < 0.25:
                    self.client.get(f"/orders/{oid}", name="status")

    install_probe(events)


def interleaved_round(sides: dict[str, "LocustSide"], first: str, pairs: int, warmup: float, settle: float,
                      slice_s: float) -> list["Window"]:
    """Both Locust processes started; then only one runs at a time: each warms up alone, and the windows
    follow the A B B A … schedule. A window starts `settle` seconds after SIGCONT (catch-up after the pause
    is not counted) and ends with a sample taken just before SIGSTOP."""
    from bench.interleave import Window, schedule

    second = next(name for name in sides if name != first)
    for side in sides.values():
        side.start()
    for side in sides.values():
        side.wait_ready()
    for side in sides.values():
        side.pause()
    for name in (first, second):          # warm-up, each alone (imports done, users spawned, caches warm)
        sides[name].resume()
        time.sleep(warmup)
        sides[name].pause()
    windows = []
    for name in schedule(pairs, first, second):
        side = sides[name]
        side.resume()
        time.sleep(settle)
        start = side.sample()
        time.sleep(slice_s)
        end = side.sample()
        side.pause()
        windows.append(Window(name, start, end))
    return windows


def main() -> int:
    import argparse
    import tempfile

    from bench.common import CannedServer, LocustSide, sigterm_as_exit
    from bench.interleave import spread, summarize

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", choices=("canned", "stack", "both"), default="both")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--stack-users", type=int, default=10)
    ap.add_argument("--warmup", type=float, default=5.0, help="seconds each side runs alone before the windows")
    ap.add_argument("--window", type=float, default=20.0, help="measured seconds per side per round")
    ap.add_argument("--slice", type=float, default=1.0, help="seconds of one window (a pair is one window per side)")
    ap.add_argument("--settle", type=float, default=0.3, help="seconds after SIGCONT before a window starts")
    ap.add_argument("--rounds", type=int, default=1, help="rounds per target")
    ap.add_argument("--procs", type=int, default=2,
                    help="fresh pairs of Locust processes per round, the round's window pairs split between them")
    ap.add_argument("--keep", action="store_true", help="keep the run folder (logs, ledgers, probe files)")
    ap.add_argument("--aa", action="store_true", help="A/A check: both sides bare (the spread is the method's noise)")
    args = ap.parse_args()
    if not (1 <= args.users <= 500 and 1 <= args.rounds <= 5 and 1 <= args.window <= 300 and args.warmup >= 0
            and 0.5 <= args.slice <= args.window and 0 <= args.settle <= 10 and 1 <= args.procs <= 5):
        ap.error("--users 1..500, --rounds 1..5, --window 1..300 s, --warmup >= 0, --slice 0.5 s..--window, "
                 "--settle 0..10 s, --procs 1..5")
    sigterm_as_exit()
    pairs = max(1, round(args.window / args.slice))
    per_procs = max(1, round(pairs / args.procs))   # window pairs per pair of processes
    pairs = per_procs * args.procs
    me = Path(__file__).resolve()
    run_dir = Path(tempfile.mkdtemp(prefix="dinerush-bench-"))
    run_dir.chmod(0o755)  # the postgres and rabbitmq users must enter it
    diner_flags = ("--dinerush-mix", "dine_in=1", "--dinerush-think", "0", "--dinerush-stale-menu-rate", "0",
                   "--dinerush-declined-rate", "0", "--dinerush-seed", "1")
    base, other = ("bare", "bare2") if args.aa else ("bare", "diner")
    run_time = 2 * args.warmup + 2 * pairs * (args.slice + args.settle + 2) + 60   # a bound; stopped before it

    def rounds(target: str, host: str, users: int) -> list:
        out = []
        for i in range(args.rounds):
            windows = []
            for k in range(args.procs):   # fresh processes: each pair of them has its own layout luck
                tag = f"{i}-{k}"
                common = dict(locustfile=me, host=host, run_dir=run_dir, users=users, run_time=run_time)
                sides = {base: LocustSide(f"{target}-{base}-{tag}", env={SIDE_ENV: "bare"}, **common)}
                if args.aa:
                    sides[other] = LocustSide(f"{target}-{other}-{tag}", env={SIDE_ENV: "bare"}, **common)
                else:
                    sides[other] = LocustSide(
                        f"{target}-{other}-{tag}", env={SIDE_ENV: "diner"}, user_classes=("DineIn",),
                        extra=diner_flags + ("--dinerush-ledger", str(run_dir / f"{target}-ledger-{tag}.jsonl")),
                        **common)
                first = base if (i + k) % 2 == 0 else other   # which side opens the schedule alternates too
                try:
                    windows += interleaved_round(sides, first, per_procs, args.warmup, args.settle, args.slice)
                finally:
                    for side in sides.values():
                        side.stop()
            out.append((base if i % 2 == 0 else other, summarize(windows, other, base)))
        return out

    results: dict[str, list] = {}
    t0 = time.monotonic()
    try:
        if args.target in ("canned", "both"):
            server = CannedServer(run_dir).start()
            try:
                results["canned"] = rounds("canned", server.url, args.users)
            finally:
                server.stop()
        if args.target in ("stack", "both"):
            from harness.runtime.local import LocalStack
            with LocalStack(run_dir / "stack") as stack:
                results["stack"] = rounds("stack", stack.endpoints.orders_api_url, args.stack_users)
    finally:
        if not args.keep:
            import shutil
            shutil.rmtree(run_dir, ignore_errors=True)
        else:
            print(f"run folder kept: {run_dir}")
    what = "bare vs bare (A/A)" if args.aa else "DineIn vs bare FastHttpUser"
    print(f"diner overhead: {what}, one Locust process per side, only one running at a time, interleaved in "
          f"{pairs} pairs of {args.slice:g} s windows per round (A B B A ..., {args.settle:g} s settle after each "
          f"resume) over {args.procs} fresh process pair(s) per round, each side warmed up {args.warmup:g} s "
          f"({os.cpu_count()} cores, {time.monotonic() - t0:.0f} s in all)")
    worst = None
    for target, got in results.items():
        users = args.users if target == "canned" else args.stack_users
        print(f"{target} ({users} users, think 0):")
        for i, (first, r) in enumerate(got, 1):
            print(f"  round {i} ({first} first):")
            for p in (r.den, r.num):
                print(f"    {p.side:<6} {p.requests:7d} requests ({p.failures} failed) in {p.windows} windows, "
                      f"{p.wall:5.1f} s = {p.requests / p.wall:7.1f} req/s | Locust CPU {p.cpu:6.2f} s "
                      f"({100 * p.cpu / p.wall:3.0f}% of a core) | {p.us_per_request:6.1f} us CPU/request")
            print(f"    {len(r.ratios)} pair ratios {r.num.side}/{r.den.side} CPU per request: median {r.median:.3f} "
                  f"(min {min(r.ratios):.3f}, max {max(r.ratios):.3f}) -> {r.num.side} overhead "
                  f"{100 * r.overhead:+.1f}% (pooled windows {100 * r.pooled_overhead:+.1f}%)")
        overheads = [r.overhead for _, r in got]
        print(f"  rounds: {', '.join(f'{100 * o:+.1f}%' for o in overheads)}; spread {100 * spread(overheads):.1f} "
              f"points")
        if target == "canned":
            worst = max(overheads)
    if worst is not None and not args.aa:
        verdict = "met" if worst <= TARGET_OVERHEAD else "NOT met"
        print(f"target (canned, worst round): {100 * worst:+.1f}% <= {100 * TARGET_OVERHEAD:.0f}%: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
