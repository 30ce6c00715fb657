"""Shared service plumbing: CLI basics, a database pool that waits for its server, uvicorn on loopback, error mapping.

Infrastructure trouble (database or broker unreachable) is answered 503, never 500; bad input is a 4xx.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import random
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from stack.bugs import validate_or_exit

LOOPBACK = "127.0.0.1"
log = logging.getLogger("stack")

INFRA_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError, asyncpg.InterfaceError, OSError, asyncio.TimeoutError, ConnectionError,
)


def setup_logging(name: str) -> None:
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {name} %(levelname)s %(message)s")


class CliParser(argparse.ArgumentParser):
    """argparse with the design's usage exit code: one line to stderr, exit 64."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(64, f"{self.prog}: error: {message}\n")


def add_bug_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bug", action="append", default=[], metavar="NAME",
                        help="switch on a seeded defect (repeatable); see stack/bugs.py")


def parse_bugs(args: argparse.Namespace) -> frozenset[str]:
    return validate_or_exit(args.bug)


@dataclass
class Backoff:
    """Capped exponential backoff with jitter, for reconnect loops."""

    first: float = 0.1
    cap: float = 5.0
    current: float = 0.0

    def reset(self) -> None:
        self.current = 0.0

    async def sleep(self) -> None:
        self.current = self.first if self.current == 0 else min(self.cap, self.current * 2)
        await asyncio.sleep(self.current * (0.5 + random.random() / 2))


def read_sql(package_file: str, name: str) -> str:
    return (Path(package_file).parent / name).read_text()


class PooledConnection(asyncpg.Connection):
    """A pooled connection released without asyncpg's reset query (advisory unlock, CLOSE ALL, UNLISTEN, RESET
    ALL): a round trip per request, for session state the stack never makes (its advisory locks are
    transaction-scoped; no LISTEN, cursors or SET). asyncpg still rolls back a transaction left open."""

    def get_reset_query(self) -> str:
        return ""


async def open_pool(dsn: str, schema: str, *, wait: float = 60.0, max_size: int = 10) -> asyncpg.Pool:
    """A pool to `dsn` with `schema` applied; waits (bounded) for the database to answer."""
    backoff = Backoff(first=0.2, cap=2.0)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        try:
            pool = await asyncpg.create_pool(dsn, min_size=1, max_size=max_size, timeout=5, command_timeout=10,
                                             init=_json_codecs, connection_class=PooledConnection)
            async with pool.acquire() as conn:
                # concurrent starts of two services on one database must not race on CREATE ... IF NOT EXISTS
                async with conn.transaction():
                    await conn.execute("SELECT pg_advisory_xact_lock(7400101)")
                    await conn.execute(schema)
            return pool
        except INFRA_ERRORS as err:
            if loop.time() > deadline:
                raise SystemExit(f"error: database {dsn} not reachable after {wait:.0f}s: {err}") from None
            log.warning("database not ready (%s); retrying", err)
            await backoff.sleep()


def _to_json(value) -> str:
    return orjson.dumps(value).decode()


async def _json_codecs(conn: asyncpg.Connection) -> None:
    """json/jsonb columns as Python values, through orjson (several times faster than the json module)."""
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(kind, encoder=_to_json, decoder=orjson.loads, schema="pg_catalog")


async def db_ok(pool: asyncpg.Pool | None) -> bool:
    if pool is None:
        return False
    try:
        async with asyncio.timeout(2.0):
            async with pool.acquire() as conn:
                return await conn.fetchval("SELECT 1") == 1
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        return False


def install_error_handlers(app: FastAPI) -> None:
    """Validation errors (and values the database cannot store) → 422 with a readable message; infrastructure → 503."""

    _document_error_body(app)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": describe_errors(exc.errors())}, status_code=422)

    # PostgreSQL class 22 (data exception, e.g. a NUL character in text) is caused by the values sent, not by
    # infrastructure: a 422, not a 503. Starlette picks the most specific handler, so this wins over PostgresError.
    @app.exception_handler(asyncpg.DataError)
    async def _bad_value(_: Request, exc: asyncpg.DataError) -> JSONResponse:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return JSONResponse({"detail": f"value not accepted: {first_line}"}, status_code=422)

    for kind in INFRA_ERRORS:
        @app.exception_handler(kind)
        async def _infra(_: Request, exc: Exception) -> JSONResponse:
            log.warning("infrastructure error: %r", exc)
            return JSONResponse({"detail": f"service unavailable: {type(exc).__name__}"}, status_code=503)


ERROR_BODY_SCHEMA = {"title": "Error", "type": "object", "required": ["detail"],
                     "properties": {"detail": {"type": "string", "title": "Detail"}}}


def _document_error_body(app: FastAPI) -> None:
    """The OpenAPI's 422 body as answered (`{"detail": "<one line>"}`), not FastAPI's default list of errors."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = generate()
            schemas = schema.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = ERROR_BODY_SCHEMA
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def describe_errors(errors) -> str:
    """Pydantic errors as one line: 'items.0.qty: Input should be greater than or equal to 1; ...'."""
    parts = []
    for e in errors:
        loc = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body",))
        parts.append(f"{loc}: {e.get('msg', 'invalid')}" if loc else str(e.get("msg", "invalid")))
    return "; ".join(parts) or "invalid request"


def serve(app: FastAPI, port: int, host: str = LOOPBACK) -> None:
    """Run `app` on 127.0.0.1:port until SIGTERM/SIGINT (uvicorn handles both and runs the lifespan shutdown)."""
    # Keep-alive of 75 s (nginx's default), not uvicorn's 5 s: on a slow mobile link the next request of a
    # reused connection can arrive more than 5 s after the last answer left, and the server would close it
    # under the client's feet (seen as HTTPConnectionClosed on 3G).
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            lifespan="on", timeout_graceful_shutdown=5, server_header=False,
                            timeout_keep_alive=75)
    # uvicorn re-raises the signal after its graceful shutdown; make that re-raised SIGTERM a plain exit 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    uvicorn.Server(config).run()
