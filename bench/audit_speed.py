"""Benchmark: audit 1,000,000 synthetic intents with a few planted violations; the target is <= 15 s.

Prints the seconds measured for Index + checkers + figures (blamed on a timeline of 10 fault windows, as a run
is) and the ratio to the target, then the checkers again without blame (the cost of blaming), and exits non-zero
if the audit does not find exactly the planted violations or a finding is not blamed.
Run: .venv/bin/python bench/audit_speed.py [N]
"""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dataclasses  # noqa: E402
import math  # noqa: E402

from harness.audit import AuditOptions, Index, System, audit, figures  # noqa: E402
from harness.audit.model import Timeline, Window  # noqa: E402
from harness.audit.history import Backlog, ChargeRow, FinalReads, OrderRow, TicketRow  # noqa: E402
from scenarios.ledger import Invalid, Item, LedgerEntry, Told  # noqa: E402

TARGET_S = 15.0
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


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    t = time.perf_counter()
    ledger, reads, expect = build(n)
    print(f"built {len(ledger):,} intents, {len(reads.orders):,} orders, {len(reads.charges):,} charges, "
          f"{len(reads.tickets):,} tickets in {time.perf_counter() - t:.1f} s")
    t0 = min(o.created_at for o in reads.orders)
    span = max(o.created_at for o in reads.orders) - t0
    timeline = Timeline(tuple(Window(f"w{i}", t0 + span * i / 10, t0 + span * (i + 0.3) / 10) for i in range(10)),
                        t0 + span)
    t = time.perf_counter()
    ix = Index.build(ledger, reads, AuditOptions(timeline=timeline))
    t_ix = time.perf_counter() - t
    pristine = dataclasses.replace(ix)                   # copies made before any checker memo is filled
    result = audit(ledger, reads, index=ix)
    t_audit = time.perf_counter() - t
    figs = figures(ledger, reads, index=ix)
    total = time.perf_counter() - t
    found = {(c.name, s.system): s.count for c in result.checks for s in c.systems if s.count}
    for c in result.checks:
        print(f"  {c.name:<10} {c.verdict.value:<8} {c.count:>3}  " + "; ".join(f"{e.system.value}:{e.ref} {e.why}"
                                                                             for e in c.examples[:3]))
    print(f"index {t_ix:.2f} s, index+checkers {t_audit:.2f} s, +figures {total:.2f} s "
          f"(kitchen p95 {figs.kitchen_latency.p95_ms} ms)")
    print(f"audit of {n:,} intents: {total:.2f} s; ratio to the {TARGET_S:.0f} s target: {total / TARGET_S:.2f}")
    best = {True: math.inf, False: math.inf}
    for _ in range(3):                                   # alternate, keep the best of 3: the machine is shared
        for blamed in (False, True):
            copy = dataclasses.replace(pristine, options=AuditOptions(timeline=timeline if blamed else None),
                                       blame_memo={})
            t = time.perf_counter()
            again = audit(ledger, reads, index=copy)
            best[blamed] = min(best[blamed], time.perf_counter() - t)
            if not blamed:
                plain = again
    print(f"checkers with blame {best[True]:.2f} s, without {best[False]:.2f} s (best of 3 each): "
          f"ratio {best[True] / best[False]:.2f}")
    unblamed = [c.name for c in result.checks if sum(x.count for x in c.clusters) != c.count]
    if unblamed or [c.count for c in plain.checks] != [c.count for c in result.checks]:
        print(f"BLAME: findings not counted per window in {unblamed}, or counts differ without blame")
        return 1
    if found != expect:
        print(f"MISMATCH: planted {sorted(expect.items())}\n          found   {sorted(found.items())}")
        return 1
    print("found exactly the planted violations")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
