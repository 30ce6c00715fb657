"""The ledger: one typed entry per diner intent — what was asked and what the diner was told.

Diners write it; the audit reads it (`ledger.jsonl`, one JSON object per line).
"""
from __future__ import annotations

import gc
import json
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from enum import Enum
from itertools import islice
from types import MappingProxyType
from typing import IO, Iterable, Iterator, Mapping

import orjson


class Told(str, Enum):
    """What the diner was told about a request, after the last retry."""

    OK = "ok"            # a definite yes (order id / charge confirmed)
    FAIL = "fail"        # a definite no (4xx, declined card)
    UNKNOWN = "unknown"  # timeout, reset, 5xx, still pending after the last retry


class Invalid(str, Enum):
    """What dinerush made invalid in an intent on purpose: the stack must say no to exactly these."""

    STALE_MENU = "stale_menu"        # a sold-out dish slipped into the cart: the order must be refused (422)
    DECLINED_CARD = "declined_card"  # the card is tok_declined: the payment must be declined (402)


@dataclass(frozen=True, slots=True)
class Item:
    dish_id: str
    qty: int
    unit_cents: int


@dataclass(frozen=True, slots=True)   # slots: a 1M-intent audit holds every entry in memory
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
    extra: Mapping[str, str] = field(default_factory=dict)   # read back: a read-only view shared by equal ones
    invalid: tuple[Invalid, ...] = ()   # made invalid on purpose; () in ledgers written before this field

    def to_dict(self) -> dict:
        """Plain JSON types, fields in declaration order (what `dataclasses.asdict` gave, ~10x cheaper:
        asdict deep-copies every value, and this runs for every intent inside the load generator).
        Spelt out field by field for speed; a test checks the keys against the dataclass fields."""
        return {
            "key": self.key,
            "kind": self.kind,
            "items": [{"dish_id": i.dish_id, "qty": i.qty, "unit_cents": i.unit_cents} for i in self.items],
            "expected_total_cents": self.expected_total_cents,
            "order": self.order.value,
            "order_id": self.order_id,
            "order_reason": self.order_reason,
            "payment": self.payment.value if self.payment else None,
            "payment_reason": self.payment_reason,
            "order_attempts": self.order_attempts,
            "payment_attempts": self.payment_attempts,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "worker": self.worker,
            "extra": dict(self.extra),
            "invalid": [v.value for v in self.invalid],
        }

    def to_json(self) -> str:
        """One ledger line: `json.dumps(to_dict(), ensure_ascii=False, separators=(",", ":"))`, byte for byte.

        orjson writes it when it spells every value as json does (`_orjson_spells`: always, for entries diners
        make) — half the cost, and this runs once per intent inside the load generator; else the json encoder."""
        d = self.to_dict()
        if _orjson_spells(self):
            try:
                return orjson.dumps(d).decode()
            except orjson.JSONEncodeError:  # a non-str key, an int past 64 bits, a lone surrogate: json's turn
                pass
        return _LINE_ENCODER.encode(d)

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
            invalid=tuple(Invalid(v) for v in d.get("invalid") or ()),
        )


_ENTRY_FIELDS = tuple(f.name for f in fields(LedgerEntry))
_LINE_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # one ledger line; stateless, reused


def _orjson_spells(e: LedgerEntry) -> bool:
    """True when orjson writes `e.to_dict()` exactly as json.dumps does: strings, ints and None it spells alike, so
    every number must have its declared type, and the timestamps lie in 1e-4..1e16, where orjson spells a float
    as repr does (outside it orjson writes 1e-05 as 0.00001, and NaN as null)."""
    t0, t1 = e.started_at, e.ended_at
    if not (type(t0) is float and type(t1) is float and 1e-4 <= t0 < 1e16 and 1e-4 <= t1 < 1e16
            and type(e.expected_total_cents) is int and type(e.order_attempts) is int
            and type(e.payment_attempts) is int):
        return False
    for i in e.items:
        if type(i.qty) is not int or type(i.unit_cents) is not int:
            return False
    for v in e.extra.values():
        if type(v) is not str:
            return False
    return True


def write_entries(fp: IO[str], entries: Iterable[LedgerEntry]) -> int:
    n = 0
    for e in entries:
        fp.write(e.to_json() + "\n")
        n += 1
    return n


_TOLD = {t.value: t for t in Told}
_INVALID = {v.value: v for v in Invalid}
_READ_BATCH = 65_536


class Shared:
    """Equal values read from one file share one object (item tuples, extras): a 1M-intent ledger repeats a few
    thousand carts, and an object per line would be most of the audit's memory."""

    __slots__ = ("carts", "extras", "strings")

    def __init__(self) -> None:
        self.carts: dict[tuple, tuple[Item, ...]] = {}
        self.extras: dict[tuple, Mapping[str, str]] = {}
        self.strings: dict[str, str] = {}

    def items(self, raw: list) -> tuple[Item, ...]:
        key = tuple([(i["dish_id"], i["qty"], i["unit_cents"]) for i in raw])
        got = self.carts.get(key)
        if got is None:
            got = self.carts[key] = tuple([Item(str(d), int(q), int(c)) for d, q, c in key])
        return got

    def extra(self, raw: dict | None) -> Mapping[str, str]:
        key = tuple(raw.items()) if raw else ()
        got = self.extras.get(key)
        if got is None:
            got = self.extras[key] = MappingProxyType({str(k): str(v) for k, v in key})
        return got

    def text(self, value) -> str:
        """A short repeated string (kind, worker, reason, status) as one object."""
        got = self.strings.get(value)
        if got is None:
            got = self.strings[value] = str(value)
        return got


def entry_of(d: dict, shared: Shared) -> LedgerEntry:
    """`LedgerEntry.from_dict`, reading many: repeated values shared, enums by table (same checks, same errors)."""
    get = d.get
    payment, reason, pay_reason = get("payment"), get("order_reason"), get("payment_reason")
    return LedgerEntry(
        str(d["key"]), shared.text(d["kind"]), shared.items(d["items"]), int(d["expected_total_cents"]),
        _TOLD[d["order"]], get("order_id"), None if reason is None else shared.text(reason),
        _TOLD[payment] if payment else None, None if pay_reason is None else shared.text(pay_reason),
        int(get("order_attempts", 0)), int(get("payment_attempts", 0)), float(get("started_at", 0.0)),
        float(get("ended_at", 0.0)), shared.text(get("worker", "")), shared.extra(get("extra")),
        tuple([_INVALID[v] for v in get("invalid") or ()]),
    )


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while millions of rows are made (it would rescan them on every allocation burst)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def read_ledger(lines: Iterable[str]) -> Iterator[LedgerEntry]:
    """Parse ledger lines; a malformed line raises ValueError naming its line number.

    Lines are parsed in batches with the cyclic GC paused (millions of new objects would set off full
    collections that rescan all of them), by orjson, with repeated values shared (`Shared`)."""
    shared = Shared()
    numbered = enumerate(lines, 1)
    while batch := list(islice(numbered, _READ_BATCH)):
        with gc_paused():
            parsed = [_parse(no, line, shared) for no, line in batch if line.strip()]
        yield from parsed


def _parse(no: int, line: str, shared: Shared) -> LedgerEntry:
    try:
        return entry_of(orjson.loads(line), shared)
    except (ValueError, KeyError, TypeError) as exc:   # orjson.JSONDecodeError is a ValueError
        raise ValueError(f"ledger line {no}: {exc}") from exc
