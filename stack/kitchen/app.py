"""The kitchen display (KDS): HTTP (health, tickets) plus the queue consumer as a background task."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from stack.common.service import db_ok, install_error_handlers, open_pool, read_sql
from stack.kitchen.bugs import Bugs
from stack.kitchen.consumer import Consumer

log = logging.getLogger("stack.kitchen")


@dataclass(frozen=True)
class KitchenSettings:
    port: int
    dsn: str
    amqp_url: str
    bugs: Bugs = Bugs()


def create_app(settings: KitchenSettings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        schema = read_sql(__file__, "schema.sql")
        if not settings.bugs.kitchen_no_dedupe:
            schema += read_sql(__file__, "dedupe.sql")
        pool = await open_pool(settings.dsn, schema)
        consumer = Consumer(settings.amqp_url, pool, settings.bugs)
        app.state.pool, app.state.consumer = pool, consumer
        stop = asyncio.Event()
        task = asyncio.create_task(consumer.run(stop), name="consumer")
        flusher = asyncio.create_task(consumer.write_behind(stop), name="write-behind") \
            if settings.bugs.kitchen_write_behind else None
        log.info("KDS on 127.0.0.1:%d (bugs: %s)", settings.port, settings.bugs)
        try:
            yield
        finally:
            stop.set()
            for t in (task, flusher):
                if t is None:
                    continue
                try:
                    await asyncio.wait_for(t, 5.0)
                except (asyncio.TimeoutError, asyncio.CancelledError):
                    pass
            await pool.close()

    app = FastAPI(title="dinerush kitchen display", version="1.0", lifespan=lifespan)
    install_error_handlers(app)

    @app.get("/health")
    async def health(request: Request):
        ok = request.app.state.consumer.connected and await db_ok(request.app.state.pool)
        return JSONResponse({"ok": ok}, status_code=200 if ok else 503)

    @app.get("/tickets/{order_id}")
    async def ticket(order_id: str, request: Request):
        async with request.app.state.pool.acquire() as conn:
            rows = await conn.fetch("SELECT * FROM tickets WHERE order_id = $1 ORDER BY id", order_id)
        if not rows:
            return JSONResponse({"detail": f"no ticket for order {order_id}"}, 404)
        first = rows[0]
        return {"order_id": order_id, "items": first["items"], "total_cents": first["total_cents"],
                "paid_at": first["paid_at"].isoformat() if first["paid_at"] else None,
                "received_at": first["received_at"].isoformat(), "deliveries": sum(r["deliveries"] for r in rows),
                "shown": len(rows)}

    return app
