"""The orders API (FastAPI): menu, idempotent order placement, pay, gateway callback; runs the reconciler task."""
from __future__ import annotations

import asyncio
import contextlib
import logging

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from stack.common.amqp import TicketPublisher
from stack.common.service import db_ok, describe_errors, install_error_handlers, open_pool, read_sql
from stack.orders.gateway import GatewayClient
from stack.orders.models import MAX_BODY_BYTES, NotifyIn, OrderIn, PayIn, PricingError, load_menu, price
from stack.orders.service import Answer, OrdersService, Settings, order_view

log = logging.getLogger("stack.orders")
MAX_KEY_LEN = 128


def _json(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def _json_body(obj: dict, status: int = 200) -> Response:
    """A JSON answer serialized by orjson (FastAPI's default runs jsonable_encoder and json.dumps per request)."""
    return Response(orjson.dumps(obj), status_code=status, media_type="application/json")


def _send(answer: Answer) -> Response:
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else {}
    return Response(answer.body, status_code=answer.status, media_type="application/json", headers=headers)


async def _read_capped(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it exceeds `limit` bytes (without reading the rest)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _inline_schema(model: type[BaseModel]) -> dict:
    """`model`'s JSON schema with its `$defs` inlined: embedded in the OpenAPI document, `#/$defs/...` would not resolve."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def create_app(settings: Settings) -> FastAPI:
    menu = load_menu(settings.menu_path)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        pool = await open_pool(settings.dsn, read_sql(__file__, "schema.sql"))
        gateway = GatewayClient(settings.gateway_url, settings.gateway_timeout,
                                five_xx_declines=settings.bugs.provider_5xx_declines)
        publisher = TicketPublisher(settings.amqp_url) if settings.bugs.publish_before_commit else None
        svc = OrdersService(settings, menu, pool, gateway, publisher)
        app.state.svc = svc
        reconciler = asyncio.create_task(svc.reconcile_forever(), name="reconciler")
        log.info("orders API on 127.0.0.1:%d (bugs: %s)", settings.port, settings.bugs)
        try:
            yield
        finally:
            reconciler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reconciler
            await gateway.aclose()
            if publisher is not None:
                await publisher.close()
            await pool.close()

    app = FastAPI(title="dinerush orders API", version="1.0", lifespan=lifespan)
    install_error_handlers(app)

    def svc(request: Request) -> OrdersService:
        return request.app.state.svc

    @app.get("/health")
    async def health(request: Request):
        s = svc(request)
        ok = await db_ok(s.pool)
        if ok and s.publisher is not None:
            ok = await s.publisher.healthy()
        return JSONResponse({"ok": ok}, status_code=200 if ok else 503)

    menu_body = orjson.dumps(menu.to_json())   # the menu never changes while the service runs

    @app.get("/menu")
    async def get_menu():
        return Response(menu_body, media_type="application/json")

    @app.post("/orders", status_code=201, openapi_extra={
        "parameters": [{"name": "Idempotency-Key", "in": "header", "required": True,
                        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LEN}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _inline_schema(OrderIn)}}},
    })
    async def place_order(request: Request):
        body = await _read_capped(request, MAX_BODY_BYTES)
        if body is None:
            return _json(413, f"request body larger than {MAX_BODY_BYTES} bytes")
        key = request.headers.get("idempotency-key")
        if not key:
            return _json(400, "missing Idempotency-Key header: send a unique key per order intent")
        if len(key) > MAX_KEY_LEN:
            return _json(400, f"Idempotency-Key longer than {MAX_KEY_LEN} characters")
        try:
            order = OrderIn.model_validate_json(body)
            items, total = price(order, menu)
        except ValidationError as err:
            return _json(422, describe_errors(err.errors()))
        except PricingError as err:
            return _json(422, str(err))
        return _send(await svc(request).place(key, order, items, total))

    @app.get("/orders/{order_id}")
    async def get_order(order_id: str, request: Request):
        row = await svc(request).get(order_id)
        if row is None:
            return _json(404, f"unknown order {order_id}")
        return _json_body(order_view(row))

    @app.post("/orders/{order_id}/pay")
    async def pay(order_id: str, body: PayIn, request: Request):
        return _send(await svc(request).pay(order_id, body.card))

    @app.post("/payments/notify")
    async def notify(body: NotifyIn, request: Request):
        return _json_body(await svc(request).notify(body))

    return app
