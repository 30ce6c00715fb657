"""The shared index: ledger and final reads keyed by idempotency key and order id, built once per audit.

Every checker reads the same Index, so a 1M-intent audit walks each table a handful of times.
Decisions (one line each):
- an intent's orders are the rows with its key; if none, the row with the order id the diner was told.
- only `captured` charges count as charges; declined ones are neither taken money nor duplicates.
- a `refunded` or `voided` charge is money given back: read (Index.returned) but never money kept.
- a charge status outside CHARGE_STATUSES cannot be judged: the audit becomes unknown, naming it.
- a repeated ledger key breaks the ledger contract (one intent, one key): the audit becomes unknown
  unless a checker finds a definite violation anyway.
"""
from __future__ import annotations

import operator
from itertools import compress
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from harness.audit.clean import CleanPart
from harness.audit.history import CAPTURED, CHARGE_STATUSES, DECLINED, ChargeRow, FinalReads, OrderRow, TicketRow
from harness.audit.model import Timeline
from scenarios.ledger import Item, LedgerEntry, gc_paused

PAID = "PAID"
PLACED = "PLACED"
PAYMENT_PENDING = "PAYMENT_PENDING"
PAYMENT_FAILED = "PAYMENT_FAILED"


@dataclass(frozen=True)
class AuditOptions:
    max_examples: int = 5                    # per checker and per system of record
    timeline: Timeline | None = None         # fault windows each finding is blamed on (None: no blame)


def same_items(a: tuple[Item, ...], b: tuple[Item, ...]) -> bool:
    """Items agree when the same dishes at the same unit price add up to the same quantities, in any order or split."""
    if a == b:
        return True
    ca: Counter = Counter()
    for i in a:
        ca[(i.dish_id, i.unit_cents)] += i.qty
    cb: Counter = Counter()
    for i in b:
        cb[(i.dish_id, i.unit_cents)] += i.qty
    return ca == cb


_KEY = operator.attrgetter("key")
_ORDER_ID = operator.attrgetter("order_id")
_MERCHANT_REF = operator.attrgetter("merchant_ref")


def _group(rows: list, keys: list) -> tuple[dict, dict]:
    """One row per key (the last), plus every row, in order, for the keys seen more than once.

    `keys` is aligned with `rows`. Only C-level passes (map/compress): a row is an earlier duplicate when the
    dict kept another row for its key.
    """
    one = dict(zip(keys, rows))
    if len(one) == len(rows):
        return one, {}
    dup_keys = set(compress(keys, map(operator.is_not, map(one.__getitem__, keys), rows)))
    dups: dict = {k: [] for k in dup_keys}
    for r, k in zip(compress(rows, map(dup_keys.__contains__, keys)), compress(keys, map(dup_keys.__contains__, keys))):
        dups[k].append(r)
    return one, dups


@dataclass
class Index:
    """Ledger and final reads indexed once (C-level map/zip passes: this is the 1M-intent hot path).

    `None` reads or ledger means the audit could not decide: every verdict without a finding is unknown.
    """

    entries: list[LedgerEntry]
    reads: FinalReads | None
    options: AuditOptions = field(default_factory=AuditOptions)
    by_key: dict[str, LedgerEntry] = field(default_factory=dict)
    ledger_dup_keys: list[str] = field(default_factory=list)
    order_by_key: dict[str, OrderRow] = field(default_factory=dict)
    order_dups: dict[str, list[OrderRow]] = field(default_factory=dict)   # key -> all its rows, when > 1
    order_by_id: dict[str, OrderRow] = field(default_factory=dict)
    captured_rows: list[ChargeRow] = field(default_factory=list)           # captured charges only
    captured: dict[str, ChargeRow] = field(default_factory=dict)           # merchant_ref -> a captured charge
    captured_dups: dict[str, list[ChargeRow]] = field(default_factory=dict)
    ticket: dict[str, TicketRow] = field(default_factory=dict)             # order id -> a ticket row
    ticket_dups: dict[str, list[TicketRow]] = field(default_factory=dict)
    returned: dict[str, list[ChargeRow]] = field(default_factory=dict)    # merchant_ref -> refunded/voided charges
    injected_declines: set[str] = field(default_factory=set)              # merchant_refs declined by a fault
    entry_order: list[OrderRow | None] = field(default_factory=list)       # aligned with entries: order_of()
    order_intent: list[LedgerEntry | None] = field(default_factory=list)   # aligned with reads.orders
    charge_order: list[OrderRow | None] = field(default_factory=list)      # aligned with captured_rows
    ticket_order: list[OrderRow | None] = field(default_factory=list)      # aligned with reads.tickets
    claimed_ids: dict[str, str] = field(default_factory=dict)  # order id -> key, for intents found only by id
    unknown_reasons: list[str] = field(default_factory=list)
    _cart_diffs: dict[int, str] | None = None      # memo of cart_diffs()
    _ticket_diffs: dict[str, str] | None = None    # memo of ticket_diffs()
    blame_memo: dict[str, dict] = field(default_factory=dict)  # maps only findings build (harness.audit.blame)
    clean: CleanPart | None = None   # intents the columnar fast path proved clean: not in entries/reads, only counted

    @classmethod
    def build(cls, ledger: Iterable[LedgerEntry] | None, reads: FinalReads | None,
              options: AuditOptions | None = None, clean: CleanPart | None = None) -> "Index":
        """`clean`: what harness.audit.columnar left out of `ledger` and `reads` (counted by the consumers)."""
        with gc_paused():
            ix = cls._build(ledger, reads, options)
        ix.clean = clean
        return ix

    @property
    def intents(self) -> int:
        """Every intent of the run: the indexed ones and the clean ones counted aside."""
        return len(self.entries) + (self.clean.intents if self.clean is not None else 0)

    @classmethod
    def _build(cls, ledger: Iterable[LedgerEntry] | None, reads: FinalReads | None,
               options: AuditOptions | None) -> "Index":
        ix = cls(entries=list(ledger) if ledger is not None else [], reads=reads, options=options or AuditOptions())
        if ledger is None:
            ix.unknown_reasons.append("no ledger: what the diners were told is unknown")
        if reads is None:
            ix.unknown_reasons.append("no final reads: the systems of record could not be read")
        entries = ix.entries
        ekeys = list(map(_KEY, entries))
        ix.by_key = dict(zip(ekeys, entries))
        if len(ix.by_key) != len(entries):
            ix.ledger_dup_keys = [k for k, n in Counter(map(_KEY, entries)).items() if n > 1]
            ix.unknown_reasons.append(f"ledger repeats {len(ix.ledger_dup_keys)} key(s) (e.g. "
                                      f"{ix.ledger_dup_keys[0]}): one intent must have one key")
        if reads is None:
            return ix
        orders = list(reads.orders)
        okeys = list(map(_KEY, orders))
        ix.order_by_key, ix.order_dups = _group(orders, okeys)
        ix.order_by_id = by_id = dict(zip(map(_ORDER_ID, orders), orders))
        ix.captured_rows = [c for c in reads.charges if c.status == CAPTURED]
        if len(ix.captured_rows) != len(reads.charges):                 # the rare rows: declined, refunded...
            ix._other_charges([c for c in reads.charges if c.status != CAPTURED])
        crefs = list(map(_MERCHANT_REF, ix.captured_rows))
        ix.captured, ix.captured_dups = _group(ix.captured_rows, crefs)
        tickets = list(reads.tickets)
        tids = list(map(_ORDER_ID, tickets))
        ix.ticket, ix.ticket_dups = _group(tickets, tids)
        ix.entry_order = eo = list(map(ix.order_by_key.get, ekeys))
        for i in [i for i, o in enumerate(eo) if o is None]:   # intents whose key has no row: try the id
            e = entries[i]
            if e.order_id is not None:
                eo[i] = row = by_id.get(e.order_id)
                if row is not None and row.key != e.key:
                    ix.claimed_ids[e.order_id] = e.key
        if ix.order_dups:                                       # several rows for one key: pick one
            dups = ix.order_dups
            for i, k in enumerate(ekeys):
                if k in dups:
                    eo[i] = ix._pick(entries[i], dups[k])
        ix.order_intent = list(map(ix.by_key.get, okeys))
        if ix.claimed_ids:
            for i, o in enumerate(orders):
                if ix.order_intent[i] is None and o.order_id in ix.claimed_ids:
                    ix.order_intent[i] = ix.by_key[ix.claimed_ids[o.order_id]]
        ix.charge_order = list(map(by_id.get, crefs))
        ix.ticket_order = list(map(by_id.get, tids))
        return ix

    def _other_charges(self, rows: list[ChargeRow]) -> None:
        """Index the charges that are not captures: injected declines, money given back, unknown statuses."""
        strange: Counter = Counter()
        for c in rows:
            if c.status == DECLINED:
                if c.injected:
                    self.injected_declines.add(c.merchant_ref)
            elif c.status in CHARGE_STATUSES:
                self.returned.setdefault(c.merchant_ref, []).append(c)
            else:
                strange[c.status] += 1
        for status, n in strange.items():
            self.unknown_reasons.append(f"{n} charge(s) with status {status!r}, which the audit cannot judge "
                                        f"(known: {', '.join(sorted(CHARGE_STATUSES))})")

    def told_other_order(self, e: LedgerEntry) -> str | None:
        """Why the order id the diner was told is not the order stored under its key (None when it is)."""
        told = e.order_id
        if told is None:
            return None
        dups = self.order_dups.get(e.key)
        mine = dups if dups is not None else ([self.order_by_key[e.key]] if e.key in self.order_by_key else [])
        if any(r.order_id == told for r in mine):
            return None
        other = self.order_by_id.get(told)
        if other is not None:
            here = f"; this key's order is {mine[0].order_id}" if mine else "; no order carries this key"
            return f"identity: diner was handed order {told}, which is stored under key {other.key} " \
                   f"(another intent's order){here}"
        if mine:
            return f"identity: diner was told order {told}, but the order stored under its key is {mine[0].order_id}"
        return None

    def cart_diffs(self) -> dict[int, str]:
        """Entry index -> why its order (entry_order) disagrees with the cart; computed once, shared."""
        if self._cart_diffs is None:
            diffs: dict[int, str] = {}
            for i, (e, o) in enumerate(zip(self.entries, self.entry_order)):
                if o is None:
                    continue
                why = self.told_other_order(e) if o.key != e.key or o.order_id != (e.order_id or o.order_id) else None
                if why is not None or o.key != e.key:
                    diffs[i] = why or f"diner's key {e.key} but the order carries key {o.key}"
                elif o.total_cents != e.expected_total_cents:
                    diffs[i] = f"order total {o.total_cents} != cart total {e.expected_total_cents}"
                elif not (o.items == e.items or same_items(o.items, e.items)):
                    diffs[i] = "order items differ from the cart"
            self._cart_diffs = diffs
        return self._cart_diffs

    def ticket_diffs(self) -> dict[str, str]:
        """Order id -> why one of its ticket rows disagrees with the order; computed once, shared."""
        if self._ticket_diffs is None:
            diffs: dict[str, str] = {}
            tickets = self.reads.tickets if self.reads is not None else ()
            for t, o in zip(tickets, self.ticket_order):
                if o is None:
                    continue
                if t.total_cents != o.total_cents:
                    diffs[t.order_id] = f"ticket total {t.total_cents} != order total {o.total_cents}"
                elif not (t.items == o.items or same_items(t.items, o.items)):
                    diffs[t.order_id] = "ticket items differ from the order"
            self._ticket_diffs = diffs
        return self._ticket_diffs

    @property
    def decidable(self) -> bool:
        return self.reads is not None and not self.unknown_reasons

    @property
    def orders(self) -> tuple[OrderRow, ...]:
        return self.reads.orders if self.reads is not None else ()

    def orders_of(self, e: LedgerEntry) -> list[OrderRow]:
        """Every order row of an intent: by its key, else the row with the order id the diner was told."""
        dups = self.order_dups.get(e.key)
        if dups is not None:
            return dups
        row = self.order_by_key.get(e.key)
        if row is not None:
            return [row]
        if e.order_id is not None:
            row = self.order_by_id.get(e.order_id)
            if row is not None:
                return [row]
        return []

    def order_of(self, e: LedgerEntry) -> OrderRow | None:
        """The intent's one order: the one the diner was told, else a PAID one, else the first
        (precomputed for every entry in `entry_order`)."""
        rows = self.orders_of(e)
        if len(rows) <= 1:
            return rows[0] if rows else None
        return self._pick(e, rows)

    @staticmethod
    def _pick(e: LedgerEntry, rows: list[OrderRow]) -> OrderRow:
        for r in rows:
            if r.order_id == e.order_id:
                return r
        for r in rows:
            if r.status == PAID:
                return r
        return rows[0]

    def intent_of(self, order: OrderRow) -> LedgerEntry | None:
        """The ledger entry an order row belongs to: by key, else by the order id a diner was told."""
        e = self.by_key.get(order.key)
        if e is not None:
            return e
        key = self.claimed_ids.get(order.order_id)
        return self.by_key.get(key) if key is not None else None

    def captured_of(self, order_id: str) -> list[ChargeRow]:
        dups = self.captured_dups.get(order_id)
        if dups is not None:
            return dups
        c = self.captured.get(order_id)
        return [c] if c is not None else []

    def tickets_of(self, order_id: str) -> list[TicketRow]:
        dups = self.ticket_dups.get(order_id)
        if dups is not None:
            return dups
        t = self.ticket.get(order_id)
        return [t] if t is not None else []

