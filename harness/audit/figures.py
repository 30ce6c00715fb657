"""Figures: what the run did, not pass/fail — intents, outcome counts, retries, kitchen redeliveries,
order-to-kitchen latency (ticket.received_at - order.paid_at) and payments recovered after an unknown."""
from __future__ import annotations

from collections import Counter
from operator import attrgetter
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from harness.audit.clean import CleanPart, Whole
from harness.audit.history import FinalReads
from harness.audit.index import PAID, PAYMENT_PENDING, AuditOptions, Index
from harness.audit.model import SYSTEMS, System
from scenarios.ledger import LedgerEntry, Told, gc_paused


@dataclass(frozen=True)
class OutcomeCounts:
    """Per system of record, how many intents ended in each passing outcome; `failing` = the rest."""

    system: System
    ok: int = 0
    recovered: int = 0
    absent: int = 0
    failing: int = 0


@dataclass(frozen=True)
class LatencySummary:
    count: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None


@dataclass(frozen=True)
class Histogram:
    edges_ms: tuple[float, ...] = ()
    counts: tuple[int, ...] = ()     # the last bin also holds the values above its edge (see `clipped`)
    clipped: int = 0


@dataclass(frozen=True)
class Figures:
    intents: int
    intents_by_kind: dict[str, int]
    told_order: dict[str, int]             # ok / fail / unknown
    told_payment: dict[str, int]           # ok / fail / unknown / none
    outcomes: tuple[OutcomeCounts, ...]
    order_retried: int                     # intents with more than one order attempt
    order_extra_attempts: int
    payment_retried: int
    payment_extra_attempts: int
    kitchen_redelivered_tickets: int       # tickets with deliveries > 1
    kitchen_redeliveries: int              # sum of deliveries - 1
    kitchen_latency: LatencySummary
    kitchen_latency_hist: Histogram
    payments_recovered: int                # payment unknown to the diner, order PAID with a capture (reconcile/notify)
    payments_unknown_absent: int           # payment unknown to the diner, no capture, order not PAID


def _outcomes(ix: Index) -> tuple[Counter, Counter, Counter, int, int]:
    """Passing outcome per intent and system of record (ok / recovered / absent), else `failing`.

    Returns the three counters plus payments recovered / absent among payments the diner saw as unknown."""
    OK, UNKNOWN, FAIL = Told.OK, Told.UNKNOWN, Told.FAIL
    cart_diffs, ticket_diffs = ix.cart_diffs(), ix.ticket_diffs()
    dups, captured, cap_dups, ticket, ticket_dups = (ix.order_dups, ix.captured, ix.captured_dups, ix.ticket,
                                                     ix.ticket_dups)
    orders_c, charges_c, tickets_c = Counter(), Counter(), Counter()
    recovered = unknown_absent = 0
    for i, (e, o) in enumerate(zip(ix.entries, ix.entry_order)):
        pay = e.payment
        if o is None:
            orders_c["failing" if e.order is OK else "absent"] += 1
            charge = "failing" if pay is OK else "absent"
            charges_c[charge] += 1
            tickets_c["absent"] += 1
        else:
            if e.order is FAIL or i in cart_diffs or e.key in dups:
                orders_c["failing"] += 1
            else:
                orders_c["ok" if e.order is OK else "recovered"] += 1
            oid = o.order_id
            paid = o.status == PAID
            cap = captured.get(oid)
            if cap is None:
                charge = "failing" if paid or pay is OK or o.status == PAYMENT_PENDING else "absent"
            elif paid and cap.amount_cents == o.total_cents and oid not in cap_dups:
                charge = "ok" if pay is OK else "recovered" if pay is UNKNOWN else "failing"
            else:
                charge = "failing"
            charges_c[charge] += 1
            if oid not in ticket:
                tickets_c["failing" if paid else "absent"] += 1
            elif paid and oid not in ticket_dups and oid not in ticket_diffs:
                tickets_c["ok" if pay is OK else "recovered" if pay is UNKNOWN else "failing"] += 1
            else:
                tickets_c["failing"] += 1
        if pay is UNKNOWN:
            recovered += charge == "recovered"
            unknown_absent += charge == "absent"
    return orders_c, charges_c, tickets_c, recovered, unknown_absent


def _latency(values: np.ndarray, bins: int = 30) -> tuple[LatencySummary, Histogram]:
    if values.size == 0:
        return LatencySummary(), Histogram()
    p50, p95, p99 = (float(x) for x in np.percentile(values, [50, 95, 99]))
    top = float(values.max())
    summary = LatencySummary(int(values.size), round(p50, 1), round(p95, 1), round(p99, 1), round(top, 1))
    hi = top if top <= 3 * p99 or p99 <= 0 else p99 * 1.2     # keep the shape readable; the tail is clipped
    lo = min(0.0, float(values.min()))
    if hi <= lo:
        hi = lo + 1.0
    clipped = int((values > hi).sum())
    counts, edges = np.histogram(np.clip(values, lo, hi), bins=bins, range=(lo, hi))
    return summary, Histogram(tuple(round(float(x), 2) for x in edges), tuple(int(c) for c in counts), clipped)


def figures(ledger: Iterable[LedgerEntry] | None, reads: FinalReads | None, *,
            options: AuditOptions | None = None, index: Index | None = None) -> Figures:
    ix = index if index is not None else Index.build(ledger, reads, options)
    with gc_paused():
        return _figures(ix)


def _figures(ix: Index) -> Figures:
    entries = ix.entries
    outcome = {s: Counter() for s in SYSTEMS}
    recovered = unknown_absent = 0
    if ix.reads is not None:
        (outcome[System.ORDERS], outcome[System.CHARGES], outcome[System.TICKETS], recovered,
         unknown_absent) = _outcomes(ix)
    tickets = ix.reads.tickets if ix.reads is not None else ()
    lat = np.asarray([t.received_at - o.paid_at for t, o in zip(tickets, ix.ticket_order)
                      if o is not None and o.paid_at is not None], dtype=float)
    clean = ix.clean
    if clean is not None:
        _add_clean(outcome, clean)
        recovered += clean.paid_recovered
        lat = np.concatenate([lat, clean.kitchen_received - clean.kitchen_paid])
    summary, hist = _latency(lat * 1000.0)
    whole = clean.whole if clean is not None else _whole(entries, tickets)
    return Figures(
        intents=whole.intents,
        intents_by_kind=whole.intents_by_kind,
        told_order=whole.told_order,
        told_payment=whole.told_payment,
        outcomes=tuple(OutcomeCounts(s, outcome[s]["ok"], outcome[s]["recovered"], outcome[s]["absent"],
                                     outcome[s]["failing"]) for s in SYSTEMS),
        order_retried=whole.order_retried, order_extra_attempts=whole.order_extra_attempts,
        payment_retried=whole.payment_retried, payment_extra_attempts=whole.payment_extra_attempts,
        kitchen_redelivered_tickets=whole.kitchen_redelivered_tickets, kitchen_redeliveries=whole.kitchen_redeliveries,
        kitchen_latency=summary, kitchen_latency_hist=hist,
        payments_recovered=recovered, payments_unknown_absent=unknown_absent,
    )


def _add_clean(outcome: dict[System, Counter], clean: CleanPart) -> None:
    """A clean intent's outcomes: its order ok (told ok) or recovered; a paid one's charge and ticket ok (payment
    told ok) or recovered; an unpaid one's absent."""
    outcome[System.ORDERS]["ok"] += clean.orders_ok
    outcome[System.ORDERS]["recovered"] += clean.intents - clean.orders_ok
    for s in (System.CHARGES, System.TICKETS):
        outcome[s]["ok"] += clean.paid_ok
        outcome[s]["recovered"] += clean.paid_recovered
        outcome[s]["absent"] += clean.unpaid


def _whole(entries: list[LedgerEntry], tickets) -> Whole:
    """The figures over every entry and ticket, when all of them are in the Index."""
    redelivered = [d for d in map(attrgetter("deliveries"), tickets) if d > 1]
    o_retried = [a for a in map(attrgetter("order_attempts"), entries) if a > 1]
    p_retried = [a for a in map(attrgetter("payment_attempts"), entries) if a > 1]
    told_order = Counter(map(attrgetter("order"), entries))           # C-level passes: 1M entries is the norm
    told_payment = Counter(map(attrgetter("payment"), entries))
    return Whole(
        intents=len(entries),
        intents_by_kind=dict(sorted(Counter(map(attrgetter("kind"), entries)).items())),
        told_order={t.value: n for t, n in told_order.items()},
        told_payment={(t.value if t else "none"): n for t, n in told_payment.items()},
        order_retried=len(o_retried), order_extra_attempts=sum(o_retried) - len(o_retried),
        payment_retried=len(p_retried), payment_extra_attempts=sum(p_retried) - len(p_retried),
        kitchen_redelivered_tickets=len(redelivered), kitchen_redeliveries=sum(redelivered) - len(redelivered),
        first_started=min((e.started_at for e in entries), default=0.0))
