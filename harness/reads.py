"""Final reads: the three systems of record read directly (never through a proxy) into FinalReads.

The SQL is data (`ReadQueries`), so an external target can point the same audit at its own schema:
each query must return the columns named in its docstring line, in that order.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

import psycopg

from harness.audit.history import Backlog, ChargeRow, FinalReads, OrderRow, TicketRow
from harness.errors import SetupError
from scenarios.ledger import Item


@dataclass(frozen=True)
class ReadQueries:
    # order_id, idempotency_key, status, items (json [{dish_id, qty, unit_cents}]), total_cents, created_at, paid_at
    orders: str = ("SELECT id, idempotency_key, status, items, total_cents, "
                   "extract(epoch from created_at), extract(epoch from paid_at) FROM orders")
    # charge_id, merchant_ref, amount_cents, status, created_at[, injected (bool: a decline made by chaos)]
    charges: str = ("SELECT id, merchant_ref, amount_cents, status, extract(epoch from created_at), injected "
                    "FROM charges")
    # order_id, items, total_cents, received_at, deliveries
    tickets: str = ("SELECT order_id, items, total_cents, extract(epoch from received_at), deliveries "
                    "FROM tickets")
    # one integer each: what has not settled yet
    outbox_unsent: str = "SELECT count(*) FROM outbox WHERE sent_at IS NULL"
    payments_pending: str = "SELECT count(*) FROM orders WHERE status = 'PAYMENT_PENDING'"


@dataclass(frozen=True)
class Databases:
    """Direct DSNs of the systems of record."""

    orders: str
    gateway: str
    kitchen: str


def _items(raw) -> tuple[Item, ...]:
    data = json.loads(raw) if isinstance(raw, (str, bytes)) else raw
    return tuple(Item(str(i["dish_id"]), int(i["qty"]), int(i["unit_cents"])) for i in data or ())


def sql_query(dsn: str, sql: str) -> list[tuple]:
    try:
        with psycopg.connect(dsn, connect_timeout=5, autocommit=True) as conn:
            return conn.execute(sql).fetchall()
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SetupError(f"cannot read the systems of record ({first}): is the database up?") from exc


def read_backlog(dbs: Databases, queries: ReadQueries, queue_messages: int = 0) -> Backlog:
    return Backlog(
        outbox_unsent=int(sql_query(dbs.orders, queries.outbox_unsent)[0][0]),
        queue_messages=queue_messages,
        payments_pending=int(sql_query(dbs.orders, queries.payments_pending)[0][0]),
    )


def read_orders(dbs: Databases, queries: ReadQueries) -> tuple[OrderRow, ...]:
    return tuple(OrderRow(str(r[0]), str(r[1]), str(r[2]), _items(r[3]), int(r[4]), float(r[5]),
                          float(r[6]) if r[6] is not None else None)
                 for r in sql_query(dbs.orders, queries.orders))


def read_charges(dbs: Databases, queries: ReadQueries) -> tuple[ChargeRow, ...]:
    return tuple(ChargeRow(str(r[0]), str(r[1]), int(r[2]), str(r[3]), float(r[4]),
                           bool(r[5]) if len(r) > 5 and r[5] is not None else False)
                 for r in sql_query(dbs.gateway, queries.charges))


def read_tickets(dbs: Databases, queries: ReadQueries) -> tuple[TicketRow, ...]:
    return tuple(TicketRow(str(r[0]), _items(r[1]), int(r[2]), float(r[3]), int(r[4]))
                 for r in sql_query(dbs.kitchen, queries.tickets))


PROBE_KEY_PREFIX = "probe-"   # the steady-state probe's orders are the harness's own, not diners'


def read_final(dbs: Databases, queries: ReadQueries = ReadQueries(), queue_messages: int = 0,
               since: float | None = None) -> FinalReads:
    """Read every order, charge and ticket, and what is still in flight.

    The probe's orders (and their charges and tickets) are left out; with `since` (epoch seconds,
    for a long-lived external stack) so is everything created before the run began.
    """
    orders = read_orders(dbs, queries)
    charges = read_charges(dbs, queries)
    tickets = read_tickets(dbs, queries)
    skip = {o.order_id for o in orders if o.key.startswith(PROBE_KEY_PREFIX) or (since and o.created_at < since)}
    orders = tuple(o for o in orders if o.order_id not in skip)
    charges = tuple(c for c in charges if c.merchant_ref not in skip and not (since and c.created_at < since))
    tickets = tuple(t for t in tickets if t.order_id not in skip)
    return FinalReads(orders, charges, tickets, read_backlog(dbs, queries, queue_messages), time.time())
