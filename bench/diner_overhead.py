"""Load-generation cost: a dinerush diner (DineIn) vs a bare Locust FastHttpUser doing the same requests.

    .venv/bin/python bench/diner_overhead.py [--target canned|stack|both] [--users 20] [--warmup 5] [--window 20]
                                             [--rounds 1]

Both sides run one headless Locust process each, one after the other (the first side alternating by
round, so a drift of the machine's load evens out over rounds), against the same endpoint: GET /menu,
POST /orders (Idempotency-Key + JSON body), POST /orders/{id}/pay, and 1 in 4 a GET /orders/{id}. The
diner adds what dinerush is for: Faker data, retry verdicts, the journey and its ledger entry (written to
a JSON-lines file). Stale-menu and declined-card rates are 0 so both sides send the same requests. The measure is the Locust process's CPU seconds per request over the same
window (requests per CPU-second); overhead = diner CPU per request / bare CPU per request - 1.

Targets: `canned` is a tiny canned-JSON server on 127.0.0.1 (Locust is the bottleneck: the clean
measure); `stack` is the real local stack (PostgreSQL, RabbitMQ, Toxiproxy, services) — it saturates
first, so Locust idles, and the per-request CPU includes Locust's fixed per-second housekeeping.

This file is also the locustfile of both sides (DINERUSH_BENCH_SIDE=bare|diner chooses).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_OVERHEAD = 0.10   # issue 16: <= 10% in every round
SIDE_ENV = "DINERUSH_BENCH_SIDE"
_SIDE = os.environ.get(SIDE_ENV, "")

if __name__ != "__main__" and _SIDE:  # ---- imported by Locust --------------------------------------------------
    from locust import events

    from bench.common import install_meter

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

    install_meter(events)


def main() -> int:
    import argparse
    import tempfile
    import time

    from bench.common import CannedServer, Measured, run_locust, sigterm_as_exit

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", choices=("canned", "stack", "both"), default="both")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--stack-users", type=int, default=10)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--window", type=float, default=20.0)
    ap.add_argument("--rounds", type=int, default=1, help="bare/diner pairs per target")
    ap.add_argument("--keep", action="store_true", help="keep the run folder (logs, ledgers, CSVs)")
    ap.add_argument("--aa", action="store_true", help="A/A check: both sides bare (the spread is the method's noise)")
    args = ap.parse_args()
    if not (1 <= args.users <= 500 and 1 <= args.rounds <= 5 and 1 <= args.window <= 300 and args.warmup >= 0):
        ap.error("--users 1..500, --rounds 1..5, --window 1..300 s, --warmup >= 0")
    sigterm_as_exit()
    me = Path(__file__).resolve()
    run_dir = Path(tempfile.mkdtemp(prefix="dinerush-bench-"))
    run_dir.chmod(0o755)  # the postgres and rabbitmq users must enter it
    diner_flags = ("--dinerush-mix", "dine_in=1", "--dinerush-think", "0", "--dinerush-stale-menu-rate", "0",
                   "--dinerush-declined-rate", "0", "--dinerush-seed", "1")

    def pair(target: str, host: str, users: int) -> list[tuple[Measured, Measured]]:
        out = []
        for i in range(args.rounds):
            common = dict(users=users, warmup=args.warmup, window=args.window)
            sides = {
                "bare": dict(label=f"{target}-bare-{i}", env={SIDE_ENV: "bare"}),
                "diner": dict(label=f"{target}-diner-{i}", env={SIDE_ENV: "diner"}, user_classes=("DineIn",),
                              extra=diner_flags + ("--dinerush-ledger", str(run_dir / f"{target}-ledger-{i}.jsonl"))),
            }
            if args.aa:
                sides["diner"] = dict(label=f"{target}-bare2-{i}", env={SIDE_ENV: "bare"})
            # one after the other, each with a core to itself; the first side alternates so a drift evens out
            order = ("bare", "diner") if i % 2 == 0 else ("diner", "bare")
            got = {side: run_locust(sides[side].pop("label"), me, host, run_dir, **sides[side], **common)
                   for side in order}
            out.append((got["bare"], got["diner"]))
        return out

    results: dict[str, list[tuple[Measured, Measured]]] = {}
    t0 = time.monotonic()
    try:
        if args.target in ("canned", "both"):
            server = CannedServer(run_dir).start()
            try:
                results["canned"] = pair("canned", server.url, args.users)
            finally:
                server.stop()
        if args.target in ("stack", "both"):
            from harness.runtime.local import LocalStack
            with LocalStack(run_dir / "stack") as stack:
                results["stack"] = pair("stack", stack.endpoints.orders_api_url, args.stack_users)
    finally:
        if not args.keep:
            import shutil
            shutil.rmtree(run_dir, ignore_errors=True)
    print(f"diner overhead: DineIn vs bare FastHttpUser, one Locust process each, one after the other (first side "
          f"alternating by round), {args.window:g} s window "
          f"after {args.warmup:g} s warm-up ({os.cpu_count()} cores, {time.monotonic() - t0:.0f} s in all)")
    worst = 0.0
    for target, pairs in results.items():
        users = args.users if target == "canned" else args.stack_users
        print(f"{target} ({users} users, think 0):")
        for bare, diner in pairs:
            print(bare.line().replace(bare.label, "bare", 1))
            print(diner.line().replace(diner.label, "diner", 1))
            ratio = diner.cpu_us_per_request / bare.cpu_us_per_request
            worst = max(worst, ratio - 1) if target == "canned" else worst
            print(f"  ratio bare/diner req per CPU-s: {bare.per_cpu_second / diner.per_cpu_second:.3f}  "
                  f"-> diner overhead {100 * (ratio - 1):+.1f}% CPU per request (target <= "
                  f"{100 * TARGET_OVERHEAD:.0f}%)")
    if "canned" in results:
        verdict = "met" if worst <= TARGET_OVERHEAD else "NOT met"
        print(f"target (canned, worst round): {100 * worst:+.1f}% <= {100 * TARGET_OVERHEAD:.0f}%: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
