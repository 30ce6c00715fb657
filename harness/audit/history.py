"""Final reads of the systems of record, as the audit sees them (saved as `final_reads.json`)."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from scenarios.ledger import Item


@dataclass(frozen=True)
class OrderRow:
    order_id: str
    key: str                 # the Idempotency-Key the order was placed with
    status: str              # PLACED | PAYMENT_PENDING | PAID | PAYMENT_FAILED
    items: tuple[Item, ...]
    total_cents: int
    created_at: float        # epoch seconds (database clock)
    paid_at: float | None = None


@dataclass(frozen=True)
class ChargeRow:
    charge_id: str
    merchant_ref: str        # the order id
    amount_cents: int
    status: str              # captured | declined | refunded | voided (CHARGE_STATUSES)
    created_at: float
    injected: bool = False   # a decline the payment-provider fault made on purpose (absent in older reads)


CAPTURED, DECLINED, REFUNDED, VOIDED = "captured", "declined", "refunded", "voided"
CHARGE_STATUSES = frozenset({CAPTURED, DECLINED, REFUNDED, VOIDED})   # any other status makes the audit unknown


@dataclass(frozen=True)
class TicketRow:
    order_id: str
    items: tuple[Item, ...]
    total_cents: int
    received_at: float
    deliveries: int = 1      # how many times the kitchen received it (redeliveries are figures)


@dataclass(frozen=True)
class Backlog:
    """What had not settled when the drain ended."""

    outbox_unsent: int = 0
    queue_messages: int = 0
    payments_pending: int = 0


@dataclass(frozen=True)
class FinalReads:
    orders: tuple[OrderRow, ...]
    charges: tuple[ChargeRow, ...]
    tickets: tuple[TicketRow, ...]
    backlog: Backlog = field(default_factory=Backlog)
    read_at: float = 0.0
    absent: tuple[str, ...] = ()   # systems of record the target does not have ("charges", "tickets"): not applicable

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=0)

    @classmethod
    def from_json(cls, text: str) -> "FinalReads":
        d = json.loads(text)
        items = lambda rows: tuple(Item(**i) for i in rows)  # noqa: E731
        return cls(
            orders=tuple(OrderRow(**{**o, "items": items(o["items"])}) for o in d["orders"]),
            charges=tuple(ChargeRow(**c) for c in d["charges"]),
            tickets=tuple(TicketRow(**{**t, "items": items(t["items"])}) for t in d["tickets"]),
            backlog=Backlog(**d.get("backlog", {})),
            read_at=float(d.get("read_at", 0.0)),
            absent=tuple(d.get("absent", ())),
        )
