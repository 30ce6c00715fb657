"""AMQP plumbing: the kitchen queue, bounded connects with a short heartbeat, and a confirmed publisher."""
from __future__ import annotations

import asyncio
import json
import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import aio_pika

QUEUE = "kitchen.tickets"
HEARTBEAT_S = 5          # a black-holed link is noticed within ~2 heartbeats
CONNECT_TIMEOUT_S = 5.0
PUBLISH_TIMEOUT_S = 5.0  # a confirm that never comes must not hang the publisher

log = logging.getLogger("stack.amqp")


def with_heartbeat(url: str, seconds: int = HEARTBEAT_S) -> str:
    """`url` with `heartbeat=` set unless the caller already chose one."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.setdefault("heartbeat", str(seconds))
    return urlunsplit(parts._replace(query=urlencode(query)))


async def connect(url: str) -> aio_pika.abc.AbstractConnection:
    return await asyncio.wait_for(aio_pika.connect(with_heartbeat(url), timeout=CONNECT_TIMEOUT_S),
                                  CONNECT_TIMEOUT_S + 1)


def link_lost(conn: aio_pika.abc.AbstractConnection | None) -> bool:
    """True once the connection is closed or broken (aio-pika clears `connected` when the reader dies)."""
    return conn is None or conn.is_closed or not conn.connected.is_set()


async def wait_lost(conn: aio_pika.abc.AbstractConnection, stop: asyncio.Event) -> None:
    """Return when the link is lost or `stop` is set."""
    lost = asyncio.Event()
    conn.close_callbacks.add(lambda *_: lost.set())
    while not (stop.is_set() or lost.is_set() or link_lost(conn)):
        waiters = {asyncio.ensure_future(lost.wait()), asyncio.ensure_future(stop.wait())}
        _, pending = await asyncio.wait(waiters, timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
        for w in pending:
            w.cancel()


async def declare_queue(channel: aio_pika.abc.AbstractChannel) -> aio_pika.abc.AbstractQueue:
    return await channel.declare_queue(QUEUE, durable=True)


class TicketPublisher:
    """Publishes persistent (unless told otherwise) JSON tickets to the kitchen queue and waits for each broker confirm (bounded)."""

    def __init__(self, url: str, persistent: bool = True):
        self.url = url
        self.delivery_mode = aio_pika.DeliveryMode.PERSISTENT if persistent else aio_pika.DeliveryMode.NOT_PERSISTENT
        self.conn: aio_pika.abc.AbstractConnection | None = None
        self.channel: aio_pika.abc.AbstractChannel | None = None
        self.lock = asyncio.Lock()

    async def ensure(self) -> aio_pika.abc.AbstractChannel:
        async with self.lock:
            if link_lost(self.conn) or self.channel is None or self.channel.is_closed:
                await self.close()
                self.conn = await connect(self.url)
                self.channel = await self.conn.channel(publisher_confirms=True)
                await declare_queue(self.channel)
            return self.channel

    async def publish(self, payload: dict, message_id: str) -> None:
        """Returns once the broker confirmed the message; raises on any failure (and drops the link)."""
        try:
            channel = await self.ensure()
            message = aio_pika.Message(json.dumps(payload).encode(), content_type="application/json",
                                       delivery_mode=self.delivery_mode, message_id=message_id)
            await asyncio.wait_for(channel.default_exchange.publish(message, routing_key=QUEUE, mandatory=True),
                                   PUBLISH_TIMEOUT_S)
        except BaseException:
            await self.close()
            raise

    async def healthy(self) -> bool:
        try:
            await asyncio.wait_for(self.ensure(), CONNECT_TIMEOUT_S + 1)
            return True
        except Exception:  # noqa: BLE001
            return False

    async def close(self) -> None:
        conn, self.conn, self.channel = self.conn, None, None
        if conn is not None and not conn.is_closed:
            try:
                await asyncio.wait_for(conn.close(), 2.0)
            except Exception:  # noqa: BLE001 - closing a broken link may fail; it is gone either way
                pass
