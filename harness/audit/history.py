"""Final reads of the systems of record, as the audit sees them (saved as `final_reads.json`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import orjson

from scenarios.ledger import Item, Shared, gc_paused


@dataclass(frozen=True, slots=True)
class OrderRow:
    order_id: str
    key: str                 # the Idempotency-Key the order was placed with
    status: str              # PLACED | PAYMENT_PENDING | PAID | PAYMENT_FAILED
    items: tuple[Item, ...]
    total_cents: int
    created_at: float        # epoch seconds (database clock)
    paid_at: float | None = None


@dataclass(frozen=True, slots=True)
class ChargeRow:
    charge_id: str
    merchant_ref: str        # the order id
    amount_cents: int
    status: str              # captured | declined | refunded | voided (CHARGE_STATUSES)
    created_at: float
    injected: bool = False   # a decline the payment-provider fault made on purpose (absent in older reads)


CAPTURED, DECLINED, REFUNDED, VOIDED = "captured", "declined", "refunded", "voided"
CHARGE_STATUSES = frozenset({CAPTURED, DECLINED, REFUNDED, VOIDED})   # any other status makes the audit unknown


@dataclass(frozen=True, slots=True)
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
        """JSON with one row per line (orjson writes the dataclasses directly: a 1M-intent run's reads in seconds)."""
        def rows(name: str, items: tuple) -> str:
            return f'"{name}":[\n' + ",\n".join(map(bytes.decode, map(orjson.dumps, items))) + "\n]"

        return ("{" + ",\n".join((rows("orders", self.orders), rows("charges", self.charges),
                                  rows("tickets", self.tickets),
                                  f'"backlog":{orjson.dumps(self.backlog).decode()}',
                                  f'"read_at":{orjson.dumps(self.read_at).decode()}',
                                  f'"absent":{orjson.dumps(self.absent).decode()}')) + "\n}\n")

    @classmethod
    def from_json(cls, text: str) -> "FinalReads":
        """Parse to_json's text line by line (one row per line), or any other JSON of the same shape whole."""
        with gc_paused():
            if text.startswith(_ORDERS_HEAD):
                try:
                    return cls.from_lines(_lines_of(text))
                except (ValueError, KeyError, TypeError, AttributeError):
                    pass   # not laid out as to_json writes it: parse it whole
            return cls.from_dict(orjson.loads(text))

    @classmethod
    def read(cls, path: Path) -> "FinalReads":
        """`from_json` of a file, streamed: a 1M-intent run's reads never sit in memory as text too."""
        with gc_paused(), open(path, encoding="utf-8") as fp:
            if fp.read(len(_ORDERS_HEAD)) == _ORDERS_HEAD:
                fp.seek(0)
                try:
                    return cls.from_lines(line.rstrip("\n") for line in fp)
                except (ValueError, KeyError, TypeError, AttributeError):
                    pass
            fp.seek(0)
            return cls.from_dict(orjson.loads(fp.read()))

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> "FinalReads":
        shared, parts, rows, make = Shared(), {}, None, None
        for line in lines:
            if line.endswith(":["):                                        # a table begins: '"charges":['
                name = line.strip('{",:[')
                rows, make = parts.setdefault(name, []), _ROW_MAKERS[name]
            elif line.startswith("{\""):
                rows.append(make(orjson.loads(line[:-1] if line.endswith(",") else line), shared))
            elif line.startswith(('"backlog":', '"read_at":', '"absent":')):
                name, _, value = line.rstrip(",").partition(":")
                parts[name.strip('"')] = orjson.loads(value)
            elif line not in ("]", "],", "}", ""):
                raise ValueError(f"unexpected line in final reads: {line[:80]!r}")
        return cls(tuple(parts["orders"]), tuple(parts["charges"]), tuple(parts["tickets"]),
                   Backlog(**parts.get("backlog", {})), float(parts.get("read_at", 0.0)),
                   tuple(parts.get("absent", ())))

    @classmethod
    def from_dict(cls, d: dict) -> "FinalReads":
        shared = Shared()
        return cls(
            orders=tuple(_order(o, shared) for o in d["orders"]),
            charges=tuple(_charge(c, shared) for c in d["charges"]),
            tickets=tuple(_ticket(t, shared) for t in d["tickets"]),
            backlog=Backlog(**d.get("backlog", {})),
            read_at=float(d.get("read_at", 0.0)),
            absent=tuple(d.get("absent", ())),
        )


_ORDERS_HEAD = '{"orders":[\n'


def _lines_of(text: str) -> Iterator[str]:
    pos, end = 0, len(text)
    while pos < end:
        nl = text.find("\n", pos)
        nl = end if nl < 0 else nl
        yield text[pos:nl]
        pos = nl + 1



def _order(o: dict, shared: Shared) -> OrderRow:
    return OrderRow(o["order_id"], o["key"], shared.text(o["status"]), shared.items(o["items"]), o["total_cents"],
                    o["created_at"], o.get("paid_at"))


def _charge(c: dict, shared: Shared) -> ChargeRow:
    return ChargeRow(c["charge_id"], c["merchant_ref"], c["amount_cents"], shared.text(c["status"]), c["created_at"],
                     c.get("injected", False))


def _ticket(t: dict, shared: Shared) -> TicketRow:
    return TicketRow(t["order_id"], shared.items(t["items"]), t["total_cents"], t["received_at"],
                     t.get("deliveries", 1))


_ROW_MAKERS = {"orders": _order, "charges": _charge, "tickets": _ticket}
