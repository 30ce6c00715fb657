"""The KDS consumer: reads `kitchen.tickets`, writes one ticket per order, acks only after the commit.

A redelivery (same order id) bumps `deliveries` instead of showing the ticket twice. The AMQP link uses a short
heartbeat so a black-holed link is noticed, and a lost link is re-dialled with backoff until stop.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime

import aio_pika
import asyncpg

from stack.common import amqp
from stack.common.service import Backoff
from stack.kitchen.bugs import Bugs

log = logging.getLogger("stack.kitchen")
PREFETCH = 20
WRITE_BEHIND_BATCH = 100     # only under the kitchen-write-behind defect: write when this many gathered,
WRITE_BEHIND_QUIET_S = 0.5   # or when no ticket came for this long


@dataclass(frozen=True)
class Ticket:
    order_id: str
    items: list
    total_cents: int
    paid_at: datetime | None

    @classmethod
    def parse(cls, body: bytes) -> "Ticket":
        """A ticket from a message body; ValueError for anything malformed."""
        try:
            d = json.loads(body)
            order_id, items, total = d["order_id"], d["items"], d["total_cents"]
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"malformed ticket: {err!r}") from None
        if not isinstance(order_id, str) or not order_id or not isinstance(items, list) \
                or not isinstance(total, int) or isinstance(total, bool):
            raise ValueError("malformed ticket: wrong field types")
        paid_at = datetime.fromisoformat(d["paid_at"]) if isinstance(d.get("paid_at"), str) else None
        return cls(order_id, items, total, paid_at)


async def store(pool: asyncpg.Pool, ticket: Ticket, bugs: Bugs) -> None:
    async with pool.acquire() as conn:
        if bugs.kitchen_no_dedupe:
            await conn.execute("INSERT INTO tickets (order_id, items, total_cents, paid_at) VALUES ($1, $2, $3, $4)",
                               ticket.order_id, ticket.items, ticket.total_cents, ticket.paid_at)
        else:
            await conn.execute(
                "INSERT INTO tickets (order_id, items, total_cents, paid_at) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (order_id) DO UPDATE SET deliveries = tickets.deliveries + 1",
                ticket.order_id, ticket.items, ticket.total_cents, ticket.paid_at)


class Consumer:
    """Owns the AMQP link; `connected` says whether it is consuming right now (for /health)."""

    def __init__(self, url: str, pool: asyncpg.Pool, bugs: Bugs):
        self.url, self.pool, self.bugs = url, pool, bugs
        self.connected = False
        self.unwritten: list[Ticket] = []   # kitchen-write-behind: acked tickets not yet in the database
        self.last_acked = 0.0               # loop time of the last one

    async def write_behind(self, stop: asyncio.Event) -> None:
        """The kitchen-write-behind defect's flusher: store the acked tickets once WRITE_BEHIND_BATCH gathered or
        none came for WRITE_BEHIND_QUIET_S (a failed batch is kept for the next round); a last flush on a clean
        stop — but a crash skips it, and whatever was acked and not yet written is gone."""
        loop = asyncio.get_running_loop()
        while True:
            stopping = stop.is_set()
            if not stopping:
                try:
                    await asyncio.wait_for(stop.wait(), 0.1)
                except asyncio.TimeoutError:
                    pass
            quiet = loop.time() - self.last_acked >= WRITE_BEHIND_QUIET_S
            if not self.unwritten or not (stopping or quiet or len(self.unwritten) >= WRITE_BEHIND_BATCH):
                if stopping:
                    return
                continue
            batch, self.unwritten, i = self.unwritten, [], 0
            try:
                for i, ticket in enumerate(batch):
                    await store(self.pool, ticket, self.bugs)
            except Exception as err:  # noqa: BLE001 - keep the rest for the next round
                log.warning("write-behind batch failed (%r); keeping %d tickets", err, len(batch) - i)
                self.unwritten[:0] = batch[i:]
            if stopping:
                return

    async def handle(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        manual = not self.bugs.kitchen_auto_ack
        try:
            ticket = Ticket.parse(message.body)
        except ValueError as err:
            log.warning("dropping message %s: %s", message.message_id, err)
            if manual:
                await message.reject(requeue=False)
            return
        if self.bugs.kitchen_write_behind:
            self.unwritten.append(ticket)   # "the flusher writes them in batches": acked before it is stored
            self.last_acked = asyncio.get_running_loop().time()
            await message.ack()
            return
        try:
            await store(self.pool, ticket, self.bugs)
        except Exception as err:  # noqa: BLE001 - database trouble: give it back to the broker
            log.warning("ticket %s not stored (%r); requeued", ticket.order_id, err)
            if manual:
                await asyncio.sleep(0.2)
                await message.nack(requeue=True)
            return
        if manual:
            await message.ack()

    async def run(self, stop: asyncio.Event) -> None:
        backoff = Backoff(first=0.2, cap=5.0)
        while not stop.is_set():
            conn = None
            try:
                conn = await amqp.connect(self.url)
                channel = await conn.channel()
                await channel.set_qos(prefetch_count=PREFETCH)
                queue = await amqp.declare_queue(channel)
                await queue.consume(self.handle, no_ack=self.bugs.kitchen_auto_ack)
                self.connected = True
                backoff.reset()
                log.info("consuming %s", amqp.QUEUE)
                await amqp.wait_lost(conn, stop)
                if not stop.is_set():
                    log.warning("broker link closed; reconnecting")
            except Exception as err:  # noqa: BLE001 - broker down or link broken: back off and dial again
                log.warning("consumer: %r; reconnecting", err)
            finally:
                self.connected = False
                if conn is not None and not conn.is_closed:
                    try:
                        await asyncio.wait_for(conn.close(), 2.0)
                    except Exception:  # noqa: BLE001
                        pass
            if not stop.is_set():
                await backoff.sleep()
