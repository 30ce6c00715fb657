"""Blame, Jepsen's timeline: the fault windows a finding's intent overlapped, or quiet / drain.

A finding's ref (an idempotency key, an order id, a charge id, a backlog name) is resolved through the Index to its
intent and rows; their times (the diner's start and end, the rows' created / paid / received) make a span, and
every window the span touches is blamed. A span that touched none is blamed on the windows that began within
AFTER_S seconds after it (the stack was still working for the intent: relay, KDS, webhooks, reconciler — a KDS that
crashed 4 s after a payment loses the ticket it held), and only then is it quiet. Only findings pay: nothing here
runs for a valid intent. What the Index does not key is found at C speed on demand and kept in the Index's
blame_memo for the other checkers: order ids told to diners among the intents with no row (one pass, on the first
finding that needs it), charge ids by a scan per finding, or a map after a few scans.
"""
from __future__ import annotations

import math
import operator
from itertools import compress

from harness.audit.history import ChargeRow, OrderRow
from harness.audit.index import Index
from harness.audit.model import DRAIN, QUIET, UNTIMED, System, Timeline, Window
from scenarios.ledger import LedgerEntry

_ORDER_ID = operator.attrgetter("order_id")
_CHARGE_ID = operator.attrgetter("charge_id")


class Blamer:
    """Resolves refs to the windows they overlapped, for one Index and one Timeline."""

    SCANS = 8     # charge-id lookups by scanning before a charge-id map pays off
    AFTER_S = 5.0  # a window that began this soon after a span that touched none is still blamed

    def __init__(self, ix: Index, timeline: Timeline) -> None:
        self.ix = ix
        self.windows: tuple[Window, ...] = tuple(sorted(timeline.windows, key=lambda w: w.start))
        self.load_end = timeline.load_end
        self._memo = ix.blame_memo
        self._scans = 0

    def blame(self, ref: str, system: System | None = None) -> tuple[str, ...]:
        """Labels of the windows the ref's span touched; quiet if none; drain if it outlived the load or is
        no intent and no row (a backlog name: what was left when the drain ended); untimed if nothing it
        resolves to carries a time."""
        times = self.times(ref, system)
        if times is None:
            return (DRAIN,)
        known = [t for t in times if t]                  # 0.0 is "not stamped"
        return self.where(min(known), max(known)) if known else (UNTIMED,)

    def where(self, a: float, b: float) -> tuple[str, ...]:
        hit = tuple(w.label for w in self.windows if a <= (math.inf if w.end is None else w.end) and b >= w.start)
        if hit:
            return hit
        hit = tuple(w.label for w in self.windows if b < w.start <= b + self.AFTER_S)
        if hit:
            return hit
        if self.load_end is not None and b > self.load_end:
            return (DRAIN,)
        return (QUIET,)

    def times(self, ref: str, system: System | None = None) -> list[float] | None:
        """Epoch seconds of the ref's intent and rows; None when the ref names neither. Charge ids are looked
        up only for findings on charges (`system` CHARGES or None)."""
        ix = self.ix
        e = ix.by_key.get(ref)
        if e is not None:
            return self._intent_times(e)
        o = ix.order_by_id.get(ref)
        if o is not None:
            return self._order_times(o)
        tickets = ix.tickets_of(ref)                     # a ticket of an order not in the reads
        if tickets:
            return [t.received_at for t in tickets]
        e = self._told_id(ref)                           # an order id a diner was told, with no row
        if e is not None:
            return self._intent_times(e)
        c = self._charge(ref) if system in (None, System.CHARGES) else None
        if c is not None:
            o = ix.order_by_id.get(c.merchant_ref)
            return self._order_times(o) if o is not None else [c.created_at]
        return None

    def _intent_times(self, e: LedgerEntry) -> list[float]:
        times = [e.started_at, e.ended_at]
        for o in self.ix.orders_of(e):
            times += self._row_times(o)
        return times

    def _order_times(self, o: OrderRow) -> list[float]:
        e = self.ix.intent_of(o)
        return self._row_times(o) + ([e.started_at, e.ended_at] if e is not None else [])

    def _row_times(self, o: OrderRow) -> list[float]:
        ix = self.ix
        oid = o.order_id
        return ([o.created_at, o.paid_at or 0.0] + [c.created_at for c in ix.captured_of(oid)]
                + [t.received_at for t in ix.tickets_of(oid)])

    def _charge(self, ref: str) -> ChargeRow | None:
        charges = self.ix.reads.charges if self.ix.reads is not None else ()
        by_id = self._memo.get("charges")
        if by_id is None and self._scans < self.SCANS:
            self._scans += 1
            return next(compress(charges, map(ref.__eq__, map(_CHARGE_ID, charges))), None)
        if by_id is None:
            by_id = self._memo["charges"] = dict(zip(map(_CHARGE_ID, charges), charges))
        return by_id.get(ref)

    def _told_id(self, ref: str) -> LedgerEntry | None:
        """The intent told this order id, among the intents with no order row (the only ones the Index's
        order_by_id cannot reach)."""
        told = self._memo.get("told")
        if told is None:
            ix = self.ix
            rowless = list(compress(ix.entries, map(operator.not_, ix.entry_order))) if ix.reads is not None \
                else ix.entries
            told = self._memo["told"] = dict(zip(map(_ORDER_ID, rowless), rowless))
        return told.get(ref)
