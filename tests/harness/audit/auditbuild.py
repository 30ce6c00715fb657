"""Small builders for hand-made histories: a ledger (what diners were told) plus final reads (what the
databases hold), assembled fluently so each test reads like the story it checks.

Times: `at=t` (seconds after T0) stamps an intent (t .. t+1), its order (created t, paid t+0.5), charge (t+0.4)
and ticket (t+0.75); `window(label, start, end)` and `drain_from(t)` make the timeline findings are blamed on."""
from __future__ import annotations

from dataclasses import dataclass, field

from harness.audit import AuditOptions, CheckResult, System, run_checker
from harness.audit.model import Timeline, Window
from harness.audit.history import Backlog, ChargeRow, FinalReads, OrderRow, TicketRow
from scenarios.ledger import Invalid, Item, LedgerEntry, Told

OK, FAIL, UNKNOWN = Told.OK, Told.FAIL, Told.UNKNOWN
STALE, DECLINED = (Invalid.STALE_MENU,), (Invalid.DECLINED_CARD,)
PAID, PLACED, PENDING, FAILED = "PAID", "PLACED", "PAYMENT_PENDING", "PAYMENT_FAILED"
CART = (Item("D01", 2, 1200), Item("D02", 1, 900))
CART_TOTAL = 3300
T0 = 1_700_000_000.0


@dataclass
class History:
    entries: list[LedgerEntry] = field(default_factory=list)
    orders: list[OrderRow] = field(default_factory=list)
    charges: list[ChargeRow] = field(default_factory=list)
    tickets: list[TicketRow] = field(default_factory=list)
    backlog: Backlog = field(default_factory=Backlog)
    windows: list[Window] = field(default_factory=list)
    load_end: float | None = None
    absent: tuple[str, ...] = ()     # systems of record the target does not have ("charges", "tickets")

    # --- the run's timeline (seconds after T0) -------------------------------------------------
    def window(self, label: str, start: float, end: float | None) -> "History":
        self.windows.append(Window(label, T0 + start, None if end is None else T0 + end))
        return self

    def without(self, *systems: str) -> "History":
        """A target without these systems of record: their checks are not applicable."""
        self.absent = tuple(systems)
        return self

    def drain_from(self, t: float) -> "History":
        self.load_end = T0 + t
        return self

    @property
    def timeline(self) -> Timeline:
        return Timeline(tuple(self.windows), self.load_end)

    # --- what the diner was told -------------------------------------------------------------
    def intent(self, key: str, *, order: Told = OK, order_id: str | None = None, payment: Told | None = OK,
               items: tuple[Item, ...] = CART, total: int = CART_TOTAL, kind: str = "dine_in",
               order_attempts: int = 1, payment_attempts: int | None = None, invalid: tuple[Invalid, ...] = (),
               order_reason: str | None = None, payment_reason: str | None = None,
               extra: dict[str, str] | None = None, at: float | None = None) -> "History":
        self.entries.append(LedgerEntry(
            key=key, kind=kind, items=items, expected_total_cents=total, order=order,
            order_id=order_id if order_id is not None or order is not OK else "o" + key[1:],
            order_reason=order_reason or ("422" if order is FAIL else None), payment=payment,
            payment_reason=payment_reason or ("declined" if payment is FAIL else None), order_attempts=order_attempts,
            payment_attempts=payment_attempts if payment_attempts is not None else (1 if payment else 0),
            extra=dict(extra or {}), invalid=invalid,
            started_at=0.0 if at is None else T0 + at, ended_at=0.0 if at is None else T0 + at + 1))
        return self

    # --- what the databases hold -------------------------------------------------------------
    def order(self, oid: str, key: str, status: str = PAID, *, items: tuple[Item, ...] = CART,
              total: int = CART_TOTAL, paid_at: float | None = None, at: float | None = None) -> "History":
        created = T0 if at is None else T0 + at
        if paid_at is None and status == PAID:
            paid_at = T0 + 1 if at is None else created + 0.5
        self.orders.append(OrderRow(oid, key, status, items, total, created, paid_at))
        return self

    def charge(self, oid: str, *, cid: str | None = None, amount: int = CART_TOTAL,
               status: str = "captured", injected: bool = False, at: float | None = None) -> "History":
        self.charges.append(ChargeRow(cid or f"ch_{oid}_{len(self.charges)}", oid, amount, status,
                                      T0 + 0.5 if at is None else T0 + at + 0.4, injected))
        return self

    def ticket(self, oid: str, *, items: tuple[Item, ...] = CART, total: int = CART_TOTAL,
               received_at: float | None = None, deliveries: int = 1, at: float | None = None) -> "History":
        if received_at is None:
            received_at = T0 + 1.25 if at is None else T0 + at + 0.75
        self.tickets.append(TicketRow(oid, items, total, received_at, deliveries))
        return self

    # --- whole journeys ----------------------------------------------------------------------
    def paid(self, key: str, *, order: Told = OK, payment: Told | None = OK, at: float | None = None,
             **kw) -> "History":
        """A correct paid journey: intent, PAID order, one captured charge, one ticket."""
        oid = "o" + key[1:]
        return (self.intent(key, order=order, order_id=oid, payment=payment, at=at, **kw)
                .order(oid, key, PAID, at=at).charge(oid, at=at).ticket(oid, at=at))

    def placed(self, key: str, *, payment: Told | None = None, at: float | None = None,
               payment_reason: str | None = None) -> "History":
        """An order placed (told ok) and never paid, or paid with an answer that changed nothing."""
        oid = "o" + key[1:]
        return (self.intent(key, order=OK, order_id=oid, payment=payment, at=at, payment_reason=payment_reason)
                .order(oid, key, PLACED, at=at))

    @property
    def reads(self) -> FinalReads:
        return FinalReads(tuple(self.orders), tuple(self.charges), tuple(self.tickets), self.backlog,
                          absent=self.absent)

    def check(self, name: str, **options) -> CheckResult:
        """One checker over this history; blamed on its timeline when it has windows or a drain."""
        if (self.windows or self.load_end is not None) and "timeline" not in options:
            options["timeline"] = self.timeline
        return run_checker(name, self.entries, self.reads, options=AuditOptions(**options))


def counts(result: CheckResult) -> dict[str, int]:
    """Non-zero counts per system of record, e.g. {"orders": 1}."""
    return {s.system.value: s.count for s in result.systems if s.count}


def refs(result: CheckResult, system: System | None = None) -> list[str]:
    return [e.ref for e in result.examples if system is None or e.system == system]
