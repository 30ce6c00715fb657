"""The orders domain: place (idempotent), pay through the gateway, settle, take callbacks, reconcile.

Every state change goes through states.transition() inside a transaction that holds the order row lock;
the transaction that marks an order PAID also writes its kitchen ticket to the outbox.
"""
from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import asyncpg
import orjson

from stack.common.amqp import TicketPublisher
from stack.orders import states
from stack.orders.bugs import Bugs
from stack.orders.gateway import ChargeResult, GatewayClient
from stack.orders.models import Menu, NotifyIn, OrderIn, PricedItem
from stack.orders.states import Status

log = logging.getLogger("stack.orders")

RECONCILE_BATCH = 200
RECONCILE_PARALLEL = 16
PENDING_GIVE_UP_S = 15.0   # only under the pending-timeout defect
SOFT_DECLINES = frozenset({"try_again_later"})   # the provider says: the card is fine, try again later


@dataclass(frozen=True)
class Settings:
    port: int
    dsn: str
    gateway_url: str
    amqp_url: str
    menu_path: Path
    gateway_timeout: float = 2.0
    reconcile_interval: float = 1.0
    bugs: Bugs = Bugs()


@dataclass(frozen=True)
class Answer:
    """An HTTP answer decided by the domain: status code, JSON text, and whether it is a replay."""

    status: int
    body: str
    replayed: bool = False

    @classmethod
    def of(cls, status: int, obj: dict, replayed: bool = False) -> "Answer":
        """Compact UTF-8 JSON, the same text `json.dumps(obj, ensure_ascii=False, separators=(",", ":"))` gives."""
        return cls(status, orjson.dumps(obj).decode(), replayed)


def _iso(ts: datetime | None) -> str | None:
    return ts.isoformat() if ts is not None else None


def order_view(row: asyncpg.Record) -> dict:
    return {
        "order_id": row["id"], "status": row["status"], "channel": row["channel"], "table": row["table_no"],
        "items": row["items"], "total_cents": row["total_cents"], "note": row["note"],
        "charge_id": row["charge_id"], "created_at": _iso(row["created_at"]), "paid_at": _iso(row["paid_at"]),
    }


def pay_answer(status: str, charge_id: str | None) -> Answer:
    if status == Status.PAID:
        return Answer.of(200, {"status": "PAID", "charge_id": charge_id})
    if status == Status.PAYMENT_FAILED:
        return Answer.of(402, {"status": "PAYMENT_FAILED"})
    return Answer.of(202, {"status": status})


INSERT_ORDER = (
    "INSERT INTO orders (id, idempotency_key, status, channel, table_no, items, total_cents, note, diner, "
    "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)")
TO_PENDING = states.transition(Status.PLACED, Status.PAYMENT_PENDING)
# Settling in one statement (one round trip, its own transaction): the UPDATE moves the order only from a status
# the transition table allows ($4), and a PAID move writes its kitchen ticket to the outbox in the same statement.
# Two settles at once: the second UPDATE waits on the row lock, re-checks $4 on the new row and matches nothing.
SETTLE_IN_ONE = (
    "WITH moved AS (UPDATE orders SET status = $2, charge_id = COALESCE($3, charge_id), updated_at = now(), "
    "paid_at = CASE WHEN $2 = 'PAID' THEN now() ELSE paid_at END WHERE id = $1 AND status = ANY($4::text[]) "
    "RETURNING id, items, total_cents, charge_id, paid_at), "
    "ticket AS (INSERT INTO outbox (order_id, payload) SELECT id, jsonb_build_object('order_id', id, 'items', "
    "items, 'total_cents', total_cents, 'paid_at', paid_at) FROM moved WHERE $2 = 'PAID') "
    "SELECT charge_id FROM moved")
SOURCES: dict[Status, list[str]] = {   # target → the statuses it may be reached from (states.TRANSITIONS)
    target: [cur.value for cur, nexts in states.TRANSITIONS.items() if target in nexts] for target in Status}
ANY_BUT: dict[Status, list[str]] = {target: [s.value for s in Status if s != target] for target in Status}  # forced


class OrdersService:
    """Holds the pool, the gateway client and (only for publish-before-commit) an AMQP publisher."""

    def __init__(self, settings: Settings, menu: Menu, pool: asyncpg.Pool, gateway: GatewayClient,
                 publisher: TicketPublisher | None):
        self.s, self.bugs, self.menu, self.pool, self.gateway, self.publisher = (
            settings, settings.bugs, menu, pool, gateway, publisher)
        self.background: set[asyncio.Task] = set()   # soft-decline-retry's retries

    # ---- placing -------------------------------------------------------------------------------------------
    async def place(self, key: str, order: OrderIn, items: tuple[PricedItem, ...], total: int) -> Answer:
        """201 with the new order; a replay of the first answer; 422 for a reused key; 409 while in flight."""
        order_id = str(uuid.uuid4())
        created = datetime.now(timezone.utc)
        item_rows = [{"dish_id": i.dish_id, "qty": i.qty, "unit_cents": i.unit_cents} for i in items]
        diner = order.diner.model_dump() if order.diner else None
        answer = Answer.of(201, {
            "order_id": order_id, "status": Status.PLACED.value, "channel": order.channel, "table": order.table,
            "items": item_rows, "total_cents": total, "note": order.note, "created_at": created.isoformat(),
        })
        if self.bugs.no_idempotency:
            async with self.pool.acquire() as conn:
                await conn.execute(INSERT_ORDER, order_id, key, Status.PLACED.value, order.channel, order.table,
                                   item_rows, total, order.note, diner, created)
            return answer
        fingerprint = order.fingerprint()
        async with self.pool.acquire() as conn:   # lock, look up and write in one round trip (schema.sql)
            got = await conn.fetchrow(
                "SELECT outcome, first_hash, first_code, first_body FROM place_order("
                "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                order_id, key, Status.PLACED.value, order.channel, order.table, item_rows, total, order.note, diner,
                created, fingerprint, answer.status, answer.body)
        if got["outcome"] == "busy":
            return Answer.of(409, {"detail": "a request with this Idempotency-Key is in flight; retry later"})
        if got["outcome"] == "used":
            if got["first_hash"] != fingerprint:
                return Answer.of(422, {"detail": "Idempotency-Key was already used with a different body"})
            return Answer(got["first_code"], got["first_body"], replayed=True)
        return answer

    async def get(self, order_id: str) -> asyncpg.Record | None:
        async with self.pool.acquire() as conn:
            return await conn.fetchrow("SELECT * FROM orders WHERE id = $1", order_id)

    # ---- paying --------------------------------------------------------------------------------------------
    async def pay(self, order_id: str, card: str) -> Answer:
        for _ in range(3):  # a concurrent change between read and update: look again (bounded)
            async with self.pool.acquire() as conn:   # the usual case, PLACED → PAYMENT_PENDING, in one round trip
                total = await conn.fetchval(
                    "UPDATE orders SET status = $2, card = $3, pending_since = now(), updated_at = now() "
                    "WHERE id = $1 AND status = $4 RETURNING total_cents",
                    order_id, TO_PENDING.value, card, Status.PLACED.value)
            card_used = card
            if total is None:   # not PLACED (or unknown): read it and decide
                row = await self.get(order_id)
                if row is None:
                    return Answer.of(404, {"detail": f"unknown order {order_id}"})
                status = Status(row["status"])
                if states.is_final(status):
                    return pay_answer(status, row["charge_id"])
                if status == Status.PLACED:
                    continue
                # PAYMENT_PENDING: re-issue the same charge (same gateway key, same card)
                card_used, total = row["card"] or card, row["total_cents"]
            result = await self.gateway.charge(order_id, total, card_used,
                                               with_key=not self.bugs.charge_without_key)
            return await self.apply(order_id, result)
        return Answer.of(409, {"detail": "order changed concurrently; retry"})

    async def apply(self, order_id: str, result: ChargeResult) -> Answer:
        """Settle an order from a charge result and answer with its state afterwards."""
        if result.outcome == "captured":
            status, charge_id = await self.settle(order_id, Status.PAID, result.charge_id)
        elif (result.outcome == "declined" and self.bugs.soft_decline_retry
              and result.decline_code in SOFT_DECLINES):
            return self._retry_soft_decline(order_id)
        elif result.outcome == "declined" or self.bugs.no_reconcile:
            if result.outcome == "unknown":
                log.info("order %s: gateway outcome unknown (%s); marking failed", order_id, result.reason)
            status, charge_id = await self.settle(order_id, Status.PAYMENT_FAILED, result.charge_id)
        else:
            log.info("order %s: gateway outcome unknown (%s); left pending", order_id, result.reason)
            if self.bugs.timeout_says_declined:   # the hurried change: a definite "no" reads better than "wait"
                return Answer.of(402, {"status": "PAYMENT_FAILED", "detail": "card declined, please try again"})
            row = await self.get(order_id)
            status, charge_id = Status(row["status"]), row["charge_id"]
        return pay_answer(status, charge_id)

    def _retry_soft_decline(self, order_id: str) -> Answer:
        """The soft-decline-retry defect: tell the diner 402 now, leave the order pending and charge again in
        the background with a fresh key (the first key would only replay the decline)."""
        async def retry() -> None:
            row = await self.get(order_id)
            if row is None:
                return
            result = await self.gateway.charge(order_id, row["total_cents"], row["card"] or "",
                                               key=f"charge-{order_id}-retry")
            if result.outcome == "captured":
                await self.settle(order_id, Status.PAID, result.charge_id)
            elif result.outcome == "declined":
                await self.settle(order_id, Status.PAYMENT_FAILED, result.charge_id)

        task = asyncio.create_task(retry())
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return Answer.of(402, {"status": "PAYMENT_FAILED", "detail": "card declined; please try again later"})

    async def settle(self, order_id: str, target: Status, charge_id: str | None,
                     force: bool = False) -> tuple[Status, str | None]:
        """Move the order to PAID/PAYMENT_FAILED if legal; PAID writes the kitchen ticket in the same commit.

        Returns the order's status and charge id afterwards (an illegal move leaves it unchanged).
        `force` skips the transition table (only the notify-latest-wins defect uses it): any status but the target
        is a source. One statement (_settle_in_one), except under the publish-before-commit defect, which keeps
        the locked read-then-write below to publish inline, with no outbox."""
        if not self.bugs.publish_before_commit:
            return await self._settle_in_one(order_id, target, charge_id, (ANY_BUT if force else SOURCES)[target])
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "SELECT status, items, total_cents, charge_id FROM orders WHERE id = $1 FOR UPDATE", order_id)
            if row is None:
                return Status.PAYMENT_FAILED, None
            current = Status(row["status"])
            if current == target:
                return current, row["charge_id"]
            try:
                states.transition(current, target)
            except states.IllegalTransition as err:
                if not force:
                    log.warning("order %s: %s refused", order_id, err)
                    return current, row["charge_id"]
            paid_at = await conn.fetchval(
                "UPDATE orders SET status = $2, charge_id = COALESCE($3, charge_id), updated_at = now(), "
                "paid_at = CASE WHEN $2 = 'PAID' THEN now() ELSE paid_at END WHERE id = $1 RETURNING paid_at",
                order_id, target.value, charge_id)
            if target == Status.PAID:   # straight to the broker, no outbox
                ticket = {"order_id": order_id, "items": row["items"], "total_cents": row["total_cents"],
                          "paid_at": _iso(paid_at)}
                await self._publish_inline(ticket)
            return target, charge_id if charge_id is not None else row["charge_id"]

    async def _settle_in_one(self, order_id: str, target: Status, charge_id: str | None,
                             sources: list[str]) -> tuple[Status, str | None]:
        """settle() as one statement, from any of `sources`; when it moved nothing, the order's status as it is now
        says why."""
        async with self.pool.acquire() as conn:
            moved = await conn.fetchrow(SETTLE_IN_ONE, order_id, target.value, charge_id, sources)
            if moved is not None:
                return target, moved["charge_id"]
            row = await conn.fetchrow("SELECT status, charge_id FROM orders WHERE id = $1", order_id)
        if row is None:
            return Status.PAYMENT_FAILED, None
        current = Status(row["status"])
        if current != target:
            log.warning("order %s: %s refused", order_id, states.IllegalTransition(current, target))
        return current, row["charge_id"]

    async def _publish_inline(self, ticket: dict) -> None:
        """The publish-before-commit defect: publish straight to the broker; a failure is logged and forgotten."""
        assert self.publisher is not None
        try:
            await self.publisher.publish(ticket, message_id=ticket["order_id"])
        except Exception as err:  # noqa: BLE001 - the hurried code swallows it
            log.warning("order %s: ticket publish failed, dropped: %r", ticket["order_id"], err)

    # ---- callbacks and reconciling ---------------------------------------------------------------------------
    async def notify(self, n: NotifyIn) -> dict:
        """The gateway's callback: settle if legal; always a 200 body (with a note) so it stops retrying."""
        row = await self.get(n.merchant_ref)
        if row is None:
            return {"ok": True, "note": f"unknown order {n.merchant_ref}; ignored"}
        if n.status == "captured" and n.amount_cents != row["total_cents"]:
            log.warning("order %s: captured %d cents but total is %d", n.merchant_ref, n.amount_cents,
                        row["total_cents"])
            return {"ok": True, "note": "amount does not match the order; not settled"}
        target = Status.PAID if n.status == "captured" else Status.PAYMENT_FAILED
        if row["status"] == target.value and not self.bugs.notify_latest_wins:
            # already settled (the pay call usually is first): a final state never moves, so settle() would
            # find the same under its lock and change nothing; skip its three round trips
            return {"ok": True, "status": target.value}
        # notify-latest-wins: "the provider knows best" — its latest callback overrides the order's state
        status, _ = await self.settle(n.merchant_ref, target, n.charge_id, force=self.bugs.notify_latest_wins)
        if status != target:
            return {"ok": True, "note": f"order is {status.value}; {target.value} refused", "status": status.value}
        return {"ok": True, "status": status.value}

    async def reconcile_once(self) -> int:
        """Ask the gateway about every order pending for longer than a pay call can take; returns how many."""
        if self.bugs.no_reconcile:
            return 0
        if self.bugs.pending_timeout:
            await self._give_up_stale()
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT id, total_cents, card FROM orders WHERE status = 'PAYMENT_PENDING' "
                "AND pending_since < now() - make_interval(secs => $1) ORDER BY pending_since LIMIT $2",
                2 * self.s.gateway_timeout, RECONCILE_BATCH)
        gate = asyncio.Semaphore(RECONCILE_PARALLEL)

        async def one(row: asyncpg.Record) -> None:
            async with gate:
                try:
                    await self._reconcile(row["id"], row["total_cents"], row["card"])
                except Exception as err:  # noqa: BLE001 - the next tick tries again
                    log.warning("reconcile %s failed: %r", row["id"], err)

        await asyncio.gather(*(one(r) for r in rows))
        return len(rows)

    async def _give_up_stale(self) -> None:
        """The pending-timeout defect: "don't keep diners waiting forever" — fail what has been pending too long,
        without asking the gateway whether the charge went through."""
        async with self.pool.acquire() as conn:
            stale = await conn.fetch(
                "SELECT id FROM orders WHERE status = 'PAYMENT_PENDING' "
                "AND pending_since < now() - make_interval(secs => $1) LIMIT $2", PENDING_GIVE_UP_S, RECONCILE_BATCH)
        for row in stale:
            log.info("order %s: pending for over %.0f s; giving up", row["id"], PENDING_GIVE_UP_S)
            await self.settle(row["id"], Status.PAYMENT_FAILED, None)

    async def _reconcile(self, order_id: str, total: int, card: str | None) -> None:
        charges = await self.gateway.find(order_id)
        if charges is None:
            return  # gateway unreachable: ask again next tick, never guess
        captured = [c for c in charges if c.status == "captured" and c.amount_cents == total]
        if captured:
            await self.settle(order_id, Status.PAID, captured[0].charge_id)
        elif any(c.status == "declined" for c in charges):
            await self.settle(order_id, Status.PAYMENT_FAILED, None)
        else:  # no charge seen: re-issue with the same key (safe; absence proves nothing)
            result = await self.gateway.charge(order_id, total, card or "", with_key=not self.bugs.charge_without_key)
            await self.apply(order_id, result)

    async def reconcile_forever(self) -> None:
        while True:
            await asyncio.sleep(self.s.reconcile_interval)
            try:
                await self.reconcile_once()
            except Exception as err:  # noqa: BLE001 - database down: try again next tick
                log.warning("reconciler tick failed: %r", err)
