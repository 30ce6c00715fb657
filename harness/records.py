"""The audit half of an adapter: how dinerush reads a stack's systems of record, and what "settled" means.

A user subclasses `RecordsAdapter` next to their `scenarios.adapter.DinerAdapter` (one module may hold
both). Orders are required; charges and kitchen tickets are optional — a method returning None says the
stack has no such system, and every check on it is reported "not applicable", never passed. Reads may go
through SQL (`sql_rows`), HTTP (`http_json`) or any Python code; each returns harness.audit.history rows.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import httpx

from harness.audit.history import Backlog, ChargeRow, FinalReads, OrderRow, TicketRow
from harness.errors import SetupError
from harness.reads import PROBE_KEY_PREFIX, sql_query
from scenarios.ledger import Item

__all__ = ["Backlog", "ChargeRow", "Item", "OrderRow", "RecordsAdapter", "TicketRow", "collect", "http_json",
           "sql_rows", "PAID", "PLACED", "PAYMENT_PENDING", "PAYMENT_FAILED"]

# The order statuses the audit understands (map your own onto them).
PLACED, PAYMENT_PENDING, PAID, PAYMENT_FAILED = "PLACED", "PAYMENT_PENDING", "PAID", "PAYMENT_FAILED"


def sql_rows(dsn: str, query: str) -> list[tuple]:
    """Every row of `query` on PostgreSQL at `dsn`; a failure is a SetupError (the audit cannot read)."""
    return sql_query(dsn, query)


def http_json(url: str, timeout: float = 10.0) -> object:
    """GET `url` and return its JSON; a failure is a SetupError naming the URL."""
    try:
        resp = httpx.get(url, timeout=timeout)
        resp.raise_for_status()
        return resp.json()
    except (httpx.HTTPError, ValueError) as err:
        raise SetupError(f"cannot read the systems of record at {url} ({type(err).__name__}): is it up?") from None


@dataclass
class RecordsAdapter:
    """Subclass it for your stack; `settings` is the `[adapter.settings]` table of the target config."""

    settings: Mapping[str, object] = field(default_factory=dict)

    def setting(self, name: str) -> str:
        """A required setting, or a SetupError naming the key to add."""
        try:
            return str(self.settings[name])
        except KeyError:
            raise SetupError(f"the target config has no {name!r} under [adapter.settings]: add it") from None

    def orders(self) -> Iterable[OrderRow]:
        """Every order: id, the intent key it was placed under, status (PLACED | PAYMENT_PENDING | PAID |
        PAYMENT_FAILED), items (dish id, qty, unit price in cents), total in cents, created/paid epoch seconds."""
        raise NotImplementedError

    def charges(self) -> Iterable[ChargeRow] | None:
        """Every charge (merchant_ref = the order id; status captured | declined | refunded | voided), or None
        when the stack keeps no record of payments apart from the order."""
        return None

    def tickets(self) -> Iterable[TicketRow] | None:
        """Every kitchen ticket (order id, items, total, received epoch seconds, deliveries), or None when the
        stack has no kitchen system of record."""
        return None

    def in_flight(self, orders: Iterable[OrderRow] | None = None) -> Backlog:
        """What has not settled yet; the drain waits until it is all zero. Default: orders PAYMENT_PENDING."""
        rows = self.orders() if orders is None else orders
        return Backlog(payments_pending=sum(1 for o in rows if o.status == PAYMENT_PENDING))

    def close(self) -> None:
        """Release connections (called once at the end of the run)."""


def collect(records: RecordsAdapter, since: float | None = None) -> FinalReads:
    """The final reads through an adapter: systems it lacks are named in `absent`; the probe's orders and, with
    `since` (epoch seconds), rows created before the load are left out (a long-lived stack)."""
    orders = tuple(records.orders())
    charges_read, tickets_read = records.charges(), records.tickets()
    absent = tuple(name for name, rows in (("charges", charges_read), ("tickets", tickets_read)) if rows is None)
    charges, tickets = tuple(charges_read or ()), tuple(tickets_read or ())
    backlog = records.in_flight(orders)
    skip = {o.order_id for o in orders if o.key.startswith(PROBE_KEY_PREFIX) or (since and o.created_at < since)}
    orders = tuple(o for o in orders if o.order_id not in skip)
    charges = tuple(c for c in charges if c.merchant_ref not in skip and not (since and c.created_at < since))
    tickets = tuple(t for t in tickets if t.order_id not in skip)
    return FinalReads(orders, charges, tickets, backlog, time.time(), absent=absent)
