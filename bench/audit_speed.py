"""Benchmark: audit 1,000,000 synthetic intents from disk, as `dinerush audit RUN` does; targets <= 5 s, <= 1 GB.

Builds a run folder (ledger.jsonl + ledger.meta.json, final_reads.json and its columnar copy as a run writes them,
run.json, timeline.json with 10 fault windows) holding a few planted violations, and prints what writing the final
reads cost (the copy's cost moves to the run's finish); then audits it in a fresh child process the way
`dinerush audit RUN` does (harness.finish.load_run — the columnar fast path, or with --python the pure-Python loaders — then Index,
every checker, blame, figures and the evidence floor; the reports are not written). Prints the child's wall and CPU
seconds per phase and its peak resident memory (the child's own VmHWM: its ru_maxrss would also count the parent's
memory at the fork, ~2.1 GB after building 1M intents), the ratios to the targets, and exits non-zero if the audit does not find exactly the planted violations or a
finding is not blamed.
Run: .venv/bin/python bench/audit_speed.py [N] [--keep] [--python] [--no-copy]   (--no-copy: a folder as runs
     wrote it before the columnar copy of the final reads)
     .venv/bin/python bench/audit_speed.py --audit-child RUN_DIR [--python]   (audit a kept folder again)
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.audit import AuditOptions, System, audit, figures, readsdump  # noqa: E402
from harness.audit.history import Backlog, ChargeRow, FinalReads, OrderRow, TicketRow  # noqa: E402
from scenarios.ledger import Invalid, Item, LedgerEntry, Told, write_entries  # noqa: E402

TARGET_S = 5.0
TARGET_BYTES = 2**30
DISHES = [(f"D{i:02d}", 900 + 100 * i) for i in range(1, 21)]


def _pool(copies: int) -> list[list[Item]]:
    """Distinct but equal Item objects per copy, so comparisons are by value, not identity."""
    return [[Item(d, q, c) for d, c in DISHES for q in (1, 2, 3)] for _ in range(copies)]


STALE = (Invalid.STALE_MENU,)


def build(n: int, seed: int = 7) -> tuple[list[LedgerEntry], FinalReads, dict[tuple[str, System], int]]:
    rnd = random.Random(seed)
    ledger_items, order_items, ticket_items = _pool(3)
    ledger: list[LedgerEntry] = []
    orders: list[OrderRow] = []
    charges: list[ChargeRow] = []
    tickets: list[TicketRow] = []
    t0 = 1_700_000_000.0
    kinds = ("dine_in", "takeaway", "impatient", "pos")
    for i in range(n):
        picks = rnd.sample(range(len(ledger_items)), 2)
        cart = tuple(ledger_items[p] for p in picks)
        total = sum(it.qty * it.unit_cents for it in cart)
        key, oid = f"k{i}", f"o{i}"
        roll = rnd.random()
        order_told = Told.UNKNOWN if roll < 0.02 else Told.OK
        if roll > 0.995:                                      # definite no: nothing persisted
            ledger.append(LedgerEntry(key, kinds[i % 4], cart, total, Told.FAIL, order_reason="422",
                                      invalid=STALE))   # refused on purpose: a sold-out dish slipped in
            continue
        pay = None if roll > 0.98 else Told.UNKNOWN if roll < 0.04 else Told.OK
        ledger.append(LedgerEntry(key, kinds[i % 4], cart, total, order_told, oid, payment=pay,
                                  order_attempts=1 + (i % 50 == 0), payment_attempts=1 if pay else 0,
                                  started_at=t0 + i * 0.001))
        created = t0 + i * 0.001
        if pay is None:
            orders.append(OrderRow(oid, key, "PLACED", tuple(order_items[p] for p in picks), total, created))
            continue
        paid_at = created + 0.2
        orders.append(OrderRow(oid, key, "PAID", tuple(order_items[p] for p in picks), total, created, paid_at))
        charges.append(ChargeRow(f"ch{i}", oid, total, "captured", created + 0.1))
        tickets.append(TicketRow(oid, tuple(ticket_items[p] for p in picks), total,
                                 paid_at + 0.05 + rnd.random() * 0.5, 1 + (i % 97 == 0)))

    # Plant one violation per finding below; `expect` is what the audit must report, exactly.
    expect: dict[tuple[str, System], int] = {}

    def plant(check: str, system: System, n_: int = 1) -> None:
        expect[(check, system)] = expect.get((check, system), 0) + n_

    paid = [o for o in orders if o.status == "PAID"]
    placed = [o for o in orders if o.status == "PLACED"]
    victims = rnd.sample(paid, 7)
    lost_order = victims[0]
    orders.remove(lost_order)                                  # lost order (and its charge/ticket become orphans)
    charges = [c for c in charges if c.merchant_ref != lost_order.order_id]
    tickets = [t for t in tickets if t.order_id != lost_order.order_id]
    plant("lost", System.ORDERS)
    plant("lost", System.CHARGES)                              # ... and its diner was told the payment went through
    charges = [c for c in charges if c.merchant_ref != victims[1].order_id]
    plant("lost", System.CHARGES)                              # PAID, no captured charge
    tickets = [t for t in tickets if t.order_id != victims[2].order_id]
    plant("lost", System.TICKETS)                              # PAID, no ticket
    v = victims[3]
    orders.append(OrderRow(v.order_id + "-dup", v.key, "PLACED", v.items, v.total_cents, v.created_at))
    plant("duplicated", System.ORDERS)                         # two orders, one key
    charges.append(ChargeRow("ch-dup", victims[4].order_id, victims[4].total_cents, "captured", t0))
    charges.append(ChargeRow("ch-declined", victims[4].order_id, victims[4].total_cents, "declined", t0))
    plant("duplicated", System.CHARGES)                        # declined never counts
    tickets.append(TicketRow(victims[5].order_id, victims[5].items, victims[5].total_cents, t0 + 1e6))
    plant("duplicated", System.TICKETS)
    orders.append(OrderRow("o-orphan", "k-orphan", "PLACED", victims[0].items, 100, t0))
    plant("unexpected", System.ORDERS)
    charges.append(ChargeRow("ch-orphan", "o-nowhere", 500, "captured", t0))
    plant("unexpected", System.CHARGES)
    u = placed[0]
    tickets.append(TicketRow(u.order_id, u.items, u.total_cents, t0))
    plant("unexpected", System.TICKETS)                        # ticket for an unpaid order
    m = victims[6]
    idx = next(i for i, t in enumerate(tickets) if t.order_id == m.order_id)
    t = tickets[idx]
    bumped = (Item(t.items[0].dish_id, t.items[0].qty + 1, t.items[0].unit_cents),) + t.items[1:]
    tickets[idx] = TicketRow(t.order_id, bumped, t.total_cents, t.received_at)
    plant("mismatch", System.TICKETS)
    s = placed[1]
    orders[orders.index(s)] = OrderRow(s.order_id, s.key, "PAYMENT_PENDING", s.items, s.total_cents, s.created_at)
    plant("stuck", System.ORDERS, 1 + 2)                       # one PENDING order + 2 unsent outbox rows
    # a PENDING order of a diner who never paid would be odd, but it is exactly what stuck must see
    reads = FinalReads(tuple(orders), tuple(charges), tuple(tickets), Backlog(outbox_unsent=2, payments_pending=1))
    return ledger, reads, expect


def write_run(run_dir: Path, ledger: list[LedgerEntry], reads: FinalReads, n_windows: int = 10,
              copy: bool = True) -> dict[str, float]:
    """A finished run folder as `dinerush run` leaves it (the parts the audit reads): the final reads written by
    readsdump.save's steps, timed apart (the copy's time includes hashing the JSON's bytes for its meta) (with `copy` False, as runs before the columnar copy wrote them).
    Returns the seconds of each step, wall and CPU (this process's, DuckDB's threads included)."""
    with open(run_dir / "ledger.jsonl", "w", encoding="utf-8") as fp:
        written = write_entries(fp, ledger)
    (run_dir / "ledger.meta.json").write_text(json.dumps({"started": written, "written": written,
                                                          "conserved": True, "complete": True}))
    cost, clock = {}, (time.perf_counter(), time.process_time())

    def lap(name: str) -> None:
        nonlocal clock
        now = (time.perf_counter(), time.process_time())
        cost[f"{name} wall"], cost[f"{name} CPU"] = now[0] - clock[0], now[1] - clock[1]
        clock = now

    text = reads.to_json()
    data = text.encode("utf-8")
    readsdump.write_json(run_dir, data)
    lap("json")
    if copy:
        size, digest = len(data), hashlib.sha256(data).hexdigest()
        del data
        if not readsdump.write_copy(run_dir, text, size, digest):
            raise SystemExit("the columnar copy of the final reads was not written (see the warning above)")
        lap("copy")
    t0 = min(o.created_at for o in reads.orders)
    span = max(o.created_at for o in reads.orders) - t0
    stamps, scheduled = [], []
    for i in range(n_windows):
        at, until = span * i / n_windows, span * (i + 0.3) / n_windows
        scheduled.append({"entry": i, "use": "kitchen_drop", "at": at, "for": until - at})
        stamps += [{"entry": i, "action": "apply", "fault": "kitchen_drop", "wall": t0 + at,
                    "detail": "kitchen_publish: reset_peer"},
                   {"entry": i, "action": "heal", "fault": "kitchen_drop", "wall": t0 + until}]
    (run_dir / "timeline.json").write_text(json.dumps(stamps))
    (run_dir / "run.json").write_text(json.dumps({
        "profile": {"name": "bench", "min_paid": 1, "schedule": "bench"}, "scheduled_faults": scheduled,
        "load_started": t0, "load_ended": t0 + span, "slo": {}, "workers": 0}))
    return cost


def audit_child(run_dir: Path, python: bool = False) -> int:
    """In a fresh process: audit the run folder as `dinerush audit RUN` does; one JSON line of figures."""
    from harness.audit.evidence import ScheduledFault, evidence
    from harness.finish import fault_windows, load_run
    from harness.report.where import timeline as audit_timeline

    wall, cpu = [time.perf_counter()], [time.process_time()]

    def lap() -> None:
        wall.append(time.perf_counter())
        cpu.append(time.process_time())

    run = json.loads((run_dir / "run.json").read_text())
    stamps = json.loads((run_dir / "timeline.json").read_text())
    loaded = load_run(run_dir, fast=not python)
    problems = loaded.problems
    lap()
    windows = fault_windows(stamps, run["load_started"])
    ix = loaded.index(AuditOptions(timeline=audit_timeline(windows, run["load_started"], run["load_ended"])))
    lap()
    result = audit(None, None, index=ix)
    ev = evidence(ix, min_paid=1, scheduled=[ScheduledFault.from_dict(d) for d in run["scheduled_faults"]],
                  stamps=stamps, slos=[], expected_slos=[])
    lap()
    figs = figures(None, None, index=ix)
    lap()
    print(json.dumps({
        "phases": ["load (ledger + final reads)", "index", "checkers+blame+evidence", "figures"],
        "path": "columnar" if loaded.clean is not None else "python",
        "clean": loaded.clean.intents if loaded.clean is not None else 0, "suspect": len(ix.entries),
        "wall": [b - a for a, b in zip(wall, wall[1:])], "cpu": [b - a for a, b in zip(cpu, cpu[1:])],
        "problems": problems, "gaps": list(ev.gaps), "paid_end_to_end": ev.paid_end_to_end,
        "kitchen_p95_ms": figs.kitchen_latency.p95_ms, "vm_hwm": _vm_hwm(),
        "found": [[c.name, s.system.value, s.count] for c in result.checks for s in c.systems if s.count],
        "unblamed": [c.name for c in result.checks if sum(x.count for x in c.clusters) != c.count],
        "checks": [f"{c.name:<10} {c.verdict.value:<8} {c.count:>3}  "
                   + "; ".join(f"{e.system.value}:{e.ref} {e.why}" for e in c.examples[:3]) for c in result.checks],
    }))
    return 0


def _vm_hwm() -> int:
    """This process's peak resident memory in bytes since its exec (Linux /proc: VmHWM)."""
    with open("/proc/self/status", encoding="ascii") as fp:
        return next(int(line.split()[1]) * 1024 for line in fp if line.startswith("VmHWM:"))


def measure(run_dir: Path, python: bool = False) -> tuple[dict, float, float, int]:
    """Run audit_child in a fresh interpreter; (its figures, wall s, CPU s, peak RSS bytes): times from its rusage,
    memory from its own VmHWM (rusage's ru_maxrss keeps the parent's high-water mark from before the exec)."""
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--audit-child", str(run_dir)]
                            + (["--python"] if python else []),
                            stdout=subprocess.PIPE, cwd=REPO)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"the audit child failed (exit {proc.returncode})")
    got = json.loads(out)
    return got, wall, usage.ru_utime + usage.ru_stime, got["vm_hwm"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("n", nargs="?", type=int, default=1_000_000, help="intents (default 1,000,000)")
    ap.add_argument("--keep", action="store_true", help="keep the run folder (to audit it again)")
    ap.add_argument("--python", action="store_true", help="the pure-Python loaders instead of the columnar path")
    ap.add_argument("--no-copy", action="store_true", help="no columnar copy of the final reads (as older runs)")
    ap.add_argument("--audit-child", metavar="RUN_DIR", type=Path, help="only audit this kept folder, in-process")
    args = ap.parse_args()
    if args.audit_child is not None:
        return audit_child(args.audit_child, args.python)
    if args.n < 1:
        ap.error("N must be 1 or more")
    n = args.n
    t = time.perf_counter()
    ledger, reads, expect = build(n)
    print(f"built {len(ledger):,} intents, {len(reads.orders):,} orders, {len(reads.charges):,} charges, "
          f"{len(reads.tickets):,} tickets in {time.perf_counter() - t:.1f} s")
    run_dir = Path(tempfile.mkdtemp(prefix="dinerush-audit-bench-"))
    try:
        t = time.perf_counter()
        cost = write_run(run_dir, ledger, reads, copy=not args.no_copy)
        sizes = {p.name: p.stat().st_size for p in run_dir.iterdir()}
        print(f"wrote the run folder in {time.perf_counter() - t:.1f} s: ledger.jsonl "
              f"{sizes['ledger.jsonl'] / 1e6:.0f} MB, final_reads.json {sizes['final_reads.json'] / 1e6:.0f} MB"
              + (f", final_reads.parquet {sizes[readsdump.COPY_NAME] / 1e6:.0f} MB" if "copy wall" in cost else
                 " (no columnar copy: --no-copy)"))
        print(f"cost at the run's finish (readsdump.save): final_reads.json {cost['json wall']:.2f} s wall / "
              f"{cost['json CPU']:.2f} s CPU" + (f"; its columnar copy {cost['copy wall']:.2f} s wall / "
                                                f"{cost['copy CPU']:.2f} s CPU (moved there from every audit)"
                                                if "copy wall" in cost else ""))
        del ledger, reads
        got, wall, cpu, rss = measure(run_dir, args.python)
        copied = readsdump.matching_copy(run_dir / "final_reads.json") is not None
    finally:
        if args.keep:
            print(f"kept {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    for line in got["checks"]:
        print(f"  {line}")
    print(f"audit path: {got['path']} ({got['clean']:,} intents proved clean, {got['suspect']:,} audited in Python; "
          f"final reads {'from their columnar copy' if copied else 'parsed from the JSON'})")
    print("audit child, per phase (wall / CPU s): " + ", ".join(
        f"{p} {w:.2f}/{c:.2f}" for p, w, c in zip(got["phases"], got["wall"], got["cpu"]))
          + f" (kitchen p95 {got['kitchen_p95_ms']} ms, {got['paid_end_to_end']:,} paid end to end)")
    print(f"audit of {n:,} intents from disk, whole child process (start, imports, load, audit): "
          f"{wall:.2f} s wall, {cpu:.2f} s CPU; peak RSS {rss / 2**20:,.0f} MiB")
    print(f"ratio to the targets: wall {wall / TARGET_S:.2f} of {TARGET_S:g} s, CPU {cpu / TARGET_S:.2f}, "
          f"peak memory {rss / TARGET_BYTES:.2f} of {TARGET_BYTES / 2**30:g} GiB")
    found = {(c, System(s)): k for c, s, k in got["found"]}
    if got["problems"] or got["gaps"]:
        print(f"LEDGER/EVIDENCE: {got['problems'] + got['gaps']}")
        return 1
    if got["unblamed"]:
        print(f"BLAME: findings not counted per window in {got['unblamed']}")
        return 1
    if found != expect:
        print(f"MISMATCH: planted {sorted(expect.items())}\n          found   {sorted(found.items())}")
        return 1
    print("found exactly the planted violations")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
