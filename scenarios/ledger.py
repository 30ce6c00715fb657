"""The ledger: one typed entry per diner intent — what was asked and what the diner was told.

Diners write it; the audit reads it (`ledger.jsonl`, one JSON object per line).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import IO, Iterable, Iterator


class Told(str, Enum):
    """What the diner was told about a request, after the last retry."""

    OK = "ok"            # a definite yes (order id / charge confirmed)
    FAIL = "fail"        # a definite no (4xx, declined card)
    UNKNOWN = "unknown"  # timeout, reset, 5xx, still pending after the last retry


@dataclass(frozen=True)
class Item:
    dish_id: str
    qty: int
    unit_cents: int


@dataclass(frozen=True)
class LedgerEntry:
    key: str                       # the order's Idempotency-Key: one intent, one key
    kind: str                      # diner kind (dine_in, takeaway, impatient, pos)
    items: tuple[Item, ...]
    expected_total_cents: int
    order: Told
    order_id: str | None = None    # set when the diner learnt it (ok, or a later read)
    order_reason: str | None = None
    payment: Told | None = None    # None: the diner never tried to pay
    payment_reason: str | None = None
    order_attempts: int = 0
    payment_attempts: int = 0
    started_at: float = 0.0        # epoch seconds
    ended_at: float = 0.0
    worker: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain JSON types, fields in declaration order (what `dataclasses.asdict` gave, ~10x cheaper:
        asdict deep-copies every value, and this runs for every intent inside the load generator)."""
        d = {name: getattr(self, name) for name in _ENTRY_FIELDS}
        d["items"] = [{"dish_id": i.dish_id, "qty": i.qty, "unit_cents": i.unit_cents} for i in self.items]
        d["order"] = self.order.value
        d["payment"] = self.payment.value if self.payment else None
        d["extra"] = dict(self.extra)
        return d

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_dict(cls, d: dict) -> "LedgerEntry":
        return cls(
            key=str(d["key"]),
            kind=str(d["kind"]),
            items=tuple(Item(str(i["dish_id"]), int(i["qty"]), int(i["unit_cents"])) for i in d["items"]),
            expected_total_cents=int(d["expected_total_cents"]),
            order=Told(d["order"]),
            order_id=d.get("order_id"),
            order_reason=d.get("order_reason"),
            payment=Told(d["payment"]) if d.get("payment") else None,
            payment_reason=d.get("payment_reason"),
            order_attempts=int(d.get("order_attempts", 0)),
            payment_attempts=int(d.get("payment_attempts", 0)),
            started_at=float(d.get("started_at", 0.0)),
            ended_at=float(d.get("ended_at", 0.0)),
            worker=str(d.get("worker", "")),
            extra={str(k): str(v) for k, v in (d.get("extra") or {}).items()},
        )


_ENTRY_FIELDS = tuple(f.name for f in fields(LedgerEntry))


def write_entries(fp: IO[str], entries: Iterable[LedgerEntry]) -> int:
    n = 0
    for e in entries:
        fp.write(e.to_json() + "\n")
        n += 1
    return n


def read_ledger(lines: Iterable[str]) -> Iterator[LedgerEntry]:
    """Parse ledger lines; a malformed line raises ValueError naming its line number."""
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            yield LedgerEntry.from_dict(json.loads(line))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"ledger line {no}: {exc}") from exc
