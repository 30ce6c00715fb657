"""The outbox relay: publishes unsent outbox rows as persistent, confirmed messages; marks them sent after the confirm.

Rows are claimed with FOR UPDATE SKIP LOCKED, so two relays never publish the same batch at once. A lost broker
or database link is retried with backoff forever (the process never crashes on it and never waits unbounded).
A crash between confirm and commit republishes a row: the kitchen dedupes by order id.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import AsyncIterator

import asyncpg

from stack.common.amqp import TicketPublisher
from stack.common.service import Backoff, _json_codecs, open_pool, read_sql
from stack.orders.bugs import Bugs

log = logging.getLogger("stack.relay")

POLL_S = 0.1
BATCH = 100


@dataclass(frozen=True)
class RelaySettings:
    dsn: str
    amqp_url: str
    poll_s: float = POLL_S
    batch: int = BATCH
    bugs: Bugs = Bugs()


class OneConnection:
    """The relay-one-connection defect: a single connection opened at start, handed out as if it were a pool
    ("saves a round trip"); when the server restarts, it stays dead and every batch fails on it."""

    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        yield self.conn

    async def close(self) -> None:
        await self.conn.close(timeout=2)


async def relay_batch(pool: "asyncpg.Pool | OneConnection", publisher: TicketPublisher, batch: int) -> int:
    """Publish one batch of unsent rows; returns how many were marked sent. Raises if any publish failed."""
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "SELECT id, order_id, payload FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1 "
            "FOR UPDATE SKIP LOCKED", batch)
        if not rows:
            return 0
        results = await asyncio.gather(*(publisher.publish(r["payload"], message_id=r["order_id"]) for r in rows),
                                       return_exceptions=True)
        confirmed = [r["id"] for r, res in zip(rows, results) if not isinstance(res, BaseException)]
        if confirmed:
            await conn.execute("UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", confirmed)
    failed = [res for res in results if isinstance(res, BaseException)]
    if failed:
        raise failed[0]
    return len(confirmed)


async def run_relay(settings: RelaySettings, stop: asyncio.Event) -> None:
    """Poll and publish until `stop` is set."""
    pool = await open_pool(settings.dsn, read_sql(__file__, "schema.sql"), max_size=2)
    if settings.bugs.relay_one_connection:
        await pool.close()
        conn = await asyncpg.connect(settings.dsn, timeout=5, command_timeout=10)
        await _json_codecs(conn)
        pool = OneConnection(conn)
    publisher = TicketPublisher(settings.amqp_url, persistent=not settings.bugs.relay_transient)
    backoff = Backoff(first=0.1, cap=5.0)
    log.info("outbox relay started")
    try:
        while not stop.is_set():
            try:
                sent = await relay_batch(pool, publisher, settings.batch)
                backoff.reset()
            except Exception as err:  # noqa: BLE001 - broker or database trouble: back off, try again
                log.warning("relay: %r; retrying", err)
                await backoff.sleep()
                continue
            if sent < settings.batch:
                try:
                    await asyncio.wait_for(stop.wait(), settings.poll_s)
                except asyncio.TimeoutError:
                    pass
    finally:
        await publisher.close()
        await pool.close()
        log.info("outbox relay stopped")
