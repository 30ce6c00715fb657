"""One diner intent in flight, and the single ledger entry it becomes (no Locust import: unit-testable)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from scenarios.data import Intent
from scenarios.ledger import LedgerEntry, Told
from scenarios.outcome import Reading

STOPPED = "stopped before an answer"


@dataclass
class Journey:
    """The mutable record of one intent while it is in flight; `entry()` freezes it into a LedgerEntry."""

    intent: Intent
    worker: str
    started_at: float = field(default_factory=time.time)
    order: Told | None = None
    order_id: str | None = None
    order_reason: str | None = None
    order_attempts: int = 0
    pay_tried: bool = False
    payment: Told | None = None
    payment_reason: str | None = None
    payment_attempts: int = 0
    extra: dict[str, str] = field(default_factory=dict)
    closed: bool = False

    def learnt_order(self, v: Reading) -> None:
        self.order, self.order_reason = v.told, v.reason
        if v.order_id:
            if self.order_id and v.order_id != self.order_id:  # two orders for one key: the audit will judge
                self.extra["other_order_id"] = v.order_id
            else:
                self.order_id = v.order_id

    def learnt_payment(self, v: Reading) -> None:
        self.payment, self.payment_reason = v.told, v.reason

    def entry(self, ended_at: float | None = None) -> LedgerEntry:
        it = self.intent
        order = self.order or Told.UNKNOWN
        payment = (self.payment or Told.UNKNOWN) if self.pay_tried else None
        extra = {"channel": it.channel}
        if it.table:
            extra["table"] = it.table
        if self.extra:
            extra.update(self.extra)
        if it.card != "tok_visa":
            extra["card"] = it.card
        return LedgerEntry(
            key=it.key, kind=it.kind, items=it.items, expected_total_cents=it.expected_total_cents,
            order=order, order_id=self.order_id,
            order_reason=self.order_reason if self.order else (self.order_reason or STOPPED),
            payment=payment,
            payment_reason=(self.payment_reason if self.payment else (self.payment_reason or STOPPED))
            if self.pay_tried else None,
            order_attempts=self.order_attempts, payment_attempts=self.payment_attempts,
            started_at=self.started_at, ended_at=ended_at if ended_at is not None else time.time(),
            worker=self.worker, extra=extra, invalid=it.invalid,
        )
