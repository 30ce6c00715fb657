"""Blame, Jepsen's timeline: the fault windows a finding's intent overlapped, or quiet / drain.

A finding's ref (an idempotency key, an order id, a charge id, a backlog name) is resolved through the Index to
its intent and rows; their times (the diner's start and end, the rows' created / paid / received) make a span,
and every window the span touches is blamed. Only findings pay: nothing here runs for a valid intent, and the
two maps the Index does not keep (order ids told to diners, charge ids) are built on the first finding that
needs them.
"""
from __future__ import annotations

import math
import operator

from harness.audit.history import ChargeRow, OrderRow
from harness.audit.index import Index
from harness.audit.model import DRAIN, QUIET, UNTIMED, Timeline, Window
from scenarios.ledger import LedgerEntry

_ORDER_ID = operator.attrgetter("order_id")
_CHARGE_ID = operator.attrgetter("charge_id")


class Blamer:
    """Resolves refs to the windows they overlapped, for one Index and one Timeline."""

    def __init__(self, ix: Index, timeline: Timeline) -> None:
        self.ix = ix
        self.windows: tuple[Window, ...] = tuple(sorted(timeline.windows, key=lambda w: w.start))
        self.load_end = timeline.load_end
        self._told: dict[str | None, LedgerEntry] | None = None
        self._charges: dict[str, ChargeRow] | None = None

    def blame(self, ref: str) -> tuple[str, ...]:
        """Labels of the windows the ref's span touched; quiet if none; drain if it outlived the load or is
        no intent and no row (a backlog name: what was left when the drain ended); untimed if nothing it
        resolves to carries a time."""
        times = self.times(ref)
        if times is None:
            return (DRAIN,)
        known = [t for t in times if t]                  # 0.0 is "not stamped"
        return self.where(min(known), max(known)) if known else (UNTIMED,)

    def where(self, a: float, b: float) -> tuple[str, ...]:
        hit = tuple(w.label for w in self.windows if a <= (math.inf if w.end is None else w.end) and b >= w.start)
        if hit:
            return hit
        if self.load_end is not None and b > self.load_end:
            return (DRAIN,)
        return (QUIET,)

    def times(self, ref: str) -> list[float] | None:
        """Epoch seconds of the ref's intent and rows; None when the ref names neither."""
        ix = self.ix
        e = ix.by_key.get(ref)
        if e is not None:
            return self._intent_times(e)
        o = ix.order_by_id.get(ref)
        if o is not None:
            return self._order_times(o)
        c = self._charge(ref)
        if c is not None:
            o = ix.order_by_id.get(c.merchant_ref)
            return self._order_times(o) if o is not None else [c.created_at]
        tickets = ix.tickets_of(ref)                     # a ticket of an order not in the reads
        if tickets:
            return [t.received_at for t in tickets]
        e = self._told_id(ref)                           # an order id a diner was told, with no row
        if e is not None:
            return self._intent_times(e)
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
        if self._charges is None:
            charges = self.ix.reads.charges if self.ix.reads is not None else ()
            self._charges = dict(zip(map(_CHARGE_ID, charges), charges))
        return self._charges.get(ref)

    def _told_id(self, ref: str) -> LedgerEntry | None:
        if self._told is None:
            self._told = dict(zip(map(_ORDER_ID, self.ix.entries), self.ix.entries))
        return self._told.get(ref)
