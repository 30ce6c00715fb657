"""The simulated payment gateway: idempotent charges, lookup by merchant ref, callbacks with bounded retries.

It plays a well-behaved third party: a repeated Idempotency-Key replays the first charge, a key in flight is 409,
and after every new charge it calls the merchant back (`--notify-url`), retrying with backoff like real gateways.
Its chaos control (stack/payments/chaos.py, off unless `--chaos-token` is given) makes it misbehave as real
providers do: 5xx before or after the charge is stored, good cards declined, webhooks late, twice or reordered.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import uuid
from dataclasses import dataclass

import aiohttp
import asyncpg
import orjson
from fastapi import FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stack.common.service import db_ok, describe_errors, install_error_handlers, open_pool, read_sql
from stack.payments.bugs import Bugs
from stack.payments.chaos import CARD_DECLINE, INJECTED_DECLINE, TOKEN_HEADER, Chaos

log = logging.getLogger("stack.gateway")

DECLINED_CARD = "tok_declined"
NOTIFY_TRIES = 8
NOTIFY_FIRST_DELAY_S = 0.25   # 0.25, 0.5, 1, 2, 4, 8, 8 → about 24 s of waiting over 8 tries
NOTIFY_MAX_DELAY_S = 8.0
NOTIFY_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class GatewaySettings:
    port: int
    dsn: str
    notify_url: str
    bugs: Bugs = Bugs()
    chaos_token: str = ""        # "" = no chaos control (the admin routes do not exist)


class ChargeIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    merchant_ref: str = Field(min_length=1, max_length=128)
    amount_cents: int = Field(gt=0, le=100_000_000)
    card: str = Field(min_length=1, max_length=64)

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.model_dump(), sort_keys=True).encode()).hexdigest()


def charge_view(row: asyncpg.Record) -> dict:
    view = {"charge_id": row["id"], "status": row["status"], "merchant_ref": row["merchant_ref"],
            "amount_cents": row["amount_cents"], "created_at": row["created_at"].isoformat()}
    if row["status"] == "declined":   # soft (retryable) when chaos declined a good card, hard for tok_declined
        view["decline_code"] = INJECTED_DECLINE if row["injected"] else CARD_DECLINE
    return view


def callback_of(row: asyncpg.Record) -> dict:
    """The webhook body of a charge; `event_at` lets a careful merchant order events."""
    view = charge_view(row)
    return {**{k: view[k] for k in ("charge_id", "merchant_ref", "status", "amount_cents")},
            "event_at": row["created_at"].isoformat()}


class Notifier:
    """Background callbacks to the merchant: bounded tries with exponential backoff; tracked so stop can cancel.

    Under chaos a callback may start late, be sent twice, or (for a captured charge) be followed by a stale
    `declined` event for the same charge once the `captured` one was delivered."""

    def __init__(self, url: str, chaos: Chaos):
        self.url = url
        self.chaos = chaos
        self._http: aiohttp.ClientSession | None = None   # made on first send: it belongs to the running loop
        self.tasks: set[asyncio.Task] = set()

    @property
    def http(self) -> aiohttp.ClientSession:
        """aiohttp, not httpx: the callbacks were two fifths of the gateway's CPU under httpx."""
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=NOTIFY_TIMEOUT_S),
                                               skip_auto_headers=("User-Agent",))
        return self._http

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def send(self, payload: dict) -> None:
        s, roll = self.chaos.settings, self.chaos.roll
        late = s.notify_delay_ms / 1000
        stale = None
        if payload["status"] == "captured" and roll(s.notify_reorder_rate):
            stale = {**payload, "status": "declined"}   # an earlier attempt's failure, delivered last
        self._spawn(self._deliver(payload, late, then=stale, lag=s.notify_reorder_lag_ms / 1000))
        if roll(s.notify_duplicate_rate):
            self._spawn(self._deliver(payload, late + self.chaos.rng.uniform(0.0, 0.3)))

    async def _deliver(self, payload: dict, late: float = 0.0, then: dict | None = None, lag: float = 0.0) -> bool:
        """Deliver `payload` (after `late` s), then `then` `lag` s after it was acknowledged; True if delivered."""
        if late:
            await asyncio.sleep(late)
        delivered = await self._post(payload)
        if delivered and then is not None:
            await asyncio.sleep(lag)
            await self._post(then)
        return delivered

    async def _post(self, payload: dict) -> bool:
        delay = NOTIFY_FIRST_DELAY_S
        for attempt in range(1, NOTIFY_TRIES + 1):
            try:
                async with self.http.post(self.url, data=orjson.dumps(payload),
                                          headers={"Content-Type": "application/json"}) as r:
                    await r.read()
                    if r.status < 300:
                        return True
                    reason = f"HTTP {r.status}"
            except (aiohttp.ClientError, TimeoutError) as err:
                reason = type(err).__name__
            if attempt == NOTIFY_TRIES:
                log.warning("notify %s gave up after %d tries (%s)", payload["charge_id"], attempt, reason)
                return False
            await asyncio.sleep(delay)
            delay = min(NOTIFY_MAX_DELAY_S, delay * 2)

    async def aclose(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()


def create_app(settings: GatewaySettings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.pool = await open_pool(settings.dsn, read_sql(__file__, "schema.sql"))
        app.state.notifier = Notifier(settings.notify_url, chaos)
        log.info("gateway on 127.0.0.1:%d", settings.port)
        try:
            yield
        finally:
            await app.state.notifier.aclose()
            await app.state.pool.close()

    chaos = Chaos()
    app = FastAPI(title="dinerush simulated payment gateway", version="1.0", lifespan=lifespan)
    app.state.chaos = chaos
    install_error_handlers(app)
    if settings.chaos_token:
        add_chaos_routes(app, chaos, settings.chaos_token)

    @app.get("/health")
    async def health(request: Request):
        ok = await db_ok(request.app.state.pool)
        return JSONResponse({"ok": ok}, status_code=200 if ok else 503)

    @app.post("/charges", status_code=201)
    async def create_charge(body: ChargeIn, request: Request,
                            idempotency_key: str | None = Header(default=None, max_length=128)):
        pool: asyncpg.Pool = request.app.state.pool
        if chaos.error("before"):
            return JSONResponse({"detail": "provider unavailable (injected before the charge)"}, 503)
        charge_id = "ch_" + uuid.uuid4().hex
        injected = body.card != DECLINED_CARD and chaos.roll(chaos.settings.decline_rate)
        status = "declined" if body.card == DECLINED_CARD or injected else "captured"
        fingerprint = body.fingerprint()
        async with pool.acquire() as conn:   # one round trip either way (charge_once: schema.sql)
            if idempotency_key:
                row = await conn.fetchrow("SELECT * FROM charge_once($1, $2, $3, $4, $5, $6, $7, $8)", charge_id,
                                          idempotency_key, fingerprint, body.merchant_ref, body.amount_cents,
                                          body.card, status, injected)
                if row["outcome"] == "busy":
                    return JSONResponse({"detail": "a charge with this Idempotency-Key is in flight"}, 409)
                if row["outcome"] == "used":
                    if row["request_hash"] != fingerprint:
                        return JSONResponse({"detail": "Idempotency-Key reused with a different charge"}, 422)
                    if chaos.error("after"):
                        return JSONResponse({"detail": "provider error (injected after the charge)"}, 500)
                    return JSONResponse(charge_view(row), 201, headers={"Idempotent-Replayed": "true"})
            else:
                row = await conn.fetchrow(
                    "INSERT INTO charges (id, idempotency_key, request_hash, merchant_ref, amount_cents, card, "
                    "status, injected) VALUES ($1, NULL, $2, $3, $4, $5, $6, $7) RETURNING *",
                    charge_id, fingerprint, body.merchant_ref, body.amount_cents, body.card, status, injected)
        request.app.state.notifier.send(callback_of(row))
        if chaos.error("after"):   # stored and called back, but the answer is lost in a 500
            return JSONResponse({"detail": "provider error (injected after the charge)"}, 500)
        return JSONResponse(charge_view(row), 201)

    @app.get("/charges")
    async def list_charges(request: Request, merchant_ref: str = Query(min_length=1, max_length=128)):
        async with request.app.state.pool.acquire() as conn:
            rows = await conn.fetch("SELECT * FROM charges WHERE merchant_ref = $1 ORDER BY created_at", merchant_ref)
        return {"charges": [charge_view(r) for r in rows]}

    @app.get("/charges/{charge_id}")
    async def get_charge(charge_id: str, request: Request):
        async with request.app.state.pool.acquire() as conn:
            row = await conn.fetchrow("SELECT * FROM charges WHERE id = $1", charge_id)
        if row is None:
            return JSONResponse({"detail": f"unknown charge {charge_id}"}, 404)
        return charge_view(row)

    return app


def add_chaos_routes(app: FastAPI, chaos: Chaos, token: str) -> None:
    """`/admin/chaos` (GET, POST to merge settings, DELETE to clear), only for requests bearing `token`."""

    def refused(given: str | None) -> JSONResponse | None:
        if given != token:
            return JSONResponse({"detail": f"missing or wrong {TOKEN_HEADER} header"}, 403)
        return None

    @app.get("/admin/chaos", include_in_schema=False)
    async def get_chaos(x_chaos_token: str | None = Header(default=None)):
        return refused(x_chaos_token) or chaos.settings.model_dump()

    @app.post("/admin/chaos", include_in_schema=False)
    async def set_chaos(request: Request, x_chaos_token: str | None = Header(default=None)):
        if (no := refused(x_chaos_token)) is not None:
            return no
        try:
            changes = await request.json()
        except ValueError:
            return JSONResponse({"detail": "body must be a JSON object of chaos settings"}, 400)
        if not isinstance(changes, dict):
            return JSONResponse({"detail": "body must be a JSON object of chaos settings"}, 422)
        try:
            settings = chaos.update(changes)
        except ValidationError as err:
            return JSONResponse({"detail": describe_errors(err.errors())}, 422)
        log.info("chaos set: %s", settings.model_dump())
        return settings.model_dump()

    @app.delete("/admin/chaos", include_in_schema=False)
    async def clear_chaos(x_chaos_token: str | None = Header(default=None)):
        if (no := refused(x_chaos_token)) is not None:
            return no
        log.info("chaos cleared")
        return chaos.clear().model_dump()
