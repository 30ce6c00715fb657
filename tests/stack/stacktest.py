"""Helpers for the stack's end-to-end tests (imported by conftest and the tests).

One private PostgreSQL, RabbitMQ node and Toxiproxy server per session (harness.runtime); each started stack
gets fresh databases and its own RabbitMQ vhost, so stacks with different defects never see each other's data.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aio_pika
import httpx
import psycopg
import pytest

from harness.runtime.postgres import PrivatePostgres
from harness.runtime.procs import Child, free_port
from harness.runtime.rabbitmq import PrivateRabbit, _find
from harness.runtime.toxiproxy import ToxiproxyServer

REPO = Path(__file__).resolve().parents[2]
QUEUE = "kitchen.tickets"
_ids = itertools.count(1)


@dataclass
class Infra:
    run_dir: Path
    pg: PrivatePostgres
    rabbit: PrivateRabbit
    tox: ToxiproxyServer

    def create_db(self, prefix: str) -> str:
        """A fresh database; returns its DSN."""
        name = f"{prefix}_{next(_ids)}"
        with psycopg.connect(self.pg.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.pg.dsn(name)

    def create_vhost(self, name: str) -> str:
        """A RabbitMQ vhost where guest may do everything; returns its AMQP URL."""
        erl_call = _find("erl_call", ("/usr/lib/erlang/bin/erl_call",))
        expr = (f'rabbit_vhost:add(<<"{name}">>, <<"tests">>), '
                f'rabbit_auth_backend_internal:set_permissions(<<"guest">>, <<"{name}">>, '
                f'<<".*">>, <<".*">>, <<".*">>, <<"tests">>).\n')
        out = subprocess.run([str(erl_call), "-address", f"127.0.0.1:{self.rabbit.dist_port}",
                              "-c", self.rabbit.cookie, "-r", "-timeout", "10", "-e"],
                             input=expr, capture_output=True, text=True, timeout=15)
        assert out.returncode == 0 and "ok" in out.stdout, out.stdout + out.stderr
        return self.rabbit.amqp_url + name

    def proxy(self, name: str, upstream_port: int) -> int:
        """A Toxiproxy proxy 127.0.0.1:<free> → upstream; returns the listen port."""
        port = free_port()
        r = httpx.post(self.tox.url + "/proxies", json={
            "name": name, "listen": f"127.0.0.1:{port}", "upstream": f"127.0.0.1:{upstream_port}", "enabled": True})
        assert r.status_code == 201, r.text
        return port

    def add_latency(self, proxy: str, ms: int) -> None:
        r = httpx.post(f"{self.tox.url}/proxies/{proxy}/toxics", json={
            "name": "slow", "type": "latency", "stream": "downstream", "attributes": {"latency": ms, "jitter": 0}})
        assert r.status_code == 200, r.text

    def remove_latency(self, proxy: str) -> None:
        r = httpx.delete(f"{self.tox.url}/proxies/{proxy}/toxics/slow")
        assert r.status_code == 204, r.text

    def set_enabled(self, proxy: str, enabled: bool) -> None:
        r = httpx.post(f"{self.tox.url}/proxies/{proxy}", json={"enabled": enabled})
        assert r.status_code == 200 and r.json()["enabled"] is enabled, r.text


@dataclass
class Service:
    name: str
    port: int
    dsn: str
    child: Child | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rows(self, sql: str, *args) -> list[tuple]:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            return conn.execute(sql, args).fetchall()

    def one(self, sql: str, *args):
        return self.rows(sql, *args)[0][0]


def _wait_healthy(svc: Service, timeout: float = 30.0) -> None:
    def healthy() -> bool:
        try:
            return httpx.get(svc.url + "/health", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False
    svc.child.wait_until(healthy, timeout, "healthy")


@dataclass
class Stack:
    """Services of one test stack; start what a test needs, `stop()` stops them all (by pid)."""

    infra: Infra
    tag: str
    amqp_url: str = ""
    services: list[Service] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.amqp_url = self.infra.create_vhost(f"{self.tag}-{next(_ids)}")

    def _start(self, name: str, argv: list[str], port: int, dsn: str, wait_health: bool = True) -> Service:
        svc = Service(name, port, dsn)
        log = self.infra.run_dir / "logs" / f"{self.tag}-{name}-{next(_ids)}.log"
        svc.child = Child(name, [sys.executable, "-m", *argv], log, cwd=REPO,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"}).start()
        if wait_health:
            _wait_healthy(svc)
        self.services.append(svc)
        return svc

    def gateway(self, notify_url: str, port: int = 0, bugs: tuple[str, ...] = (), chaos_token: str = "") -> Service:
        port = port or free_port()
        dsn = self.infra.create_db("gateway")
        chaos = ["--chaos-token", chaos_token] if chaos_token else []
        return self._start("gateway", ["stack.payments", "serve", "--port", str(port), "--dsn", dsn,
                                       "--notify-url", notify_url, *chaos, *_bug_args(bugs)], port, dsn)

    def orders(self, gateway_url: str, port: int = 0, bugs: tuple[str, ...] = (), gateway_timeout: float = 1.0,
               reconcile_interval: float = 0.5) -> Service:
        port = port or free_port()
        dsn = self.infra.create_db("orders")
        return self._start("orders", [
            "stack.orders", "serve", "--port", str(port), "--dsn", dsn, "--gateway-url", gateway_url,
            "--amqp-url", self.amqp_url, "--gateway-timeout", str(gateway_timeout),
            "--reconcile-interval", str(reconcile_interval), *_bug_args(bugs)], port, dsn)

    def relay(self, orders_dsn: str, amqp_url: str = "") -> Service:
        svc = self._start("relay", ["stack.orders", "relay", "--dsn", orders_dsn,
                                    "--amqp-url", amqp_url or self.amqp_url],
                          0, orders_dsn, wait_health=False)
        return svc

    def kitchen(self, bugs: tuple[str, ...] = (), amqp_url: str = "") -> Service:
        port = free_port()
        dsn = self.infra.create_db("kitchen")
        return self._start("kitchen", ["stack.kitchen", "serve", "--port", str(port), "--dsn", dsn,
                                       "--amqp-url", amqp_url or self.amqp_url, *_bug_args(bugs)], port, dsn)

    def amqp_via(self, listen_port: int) -> str:
        """This stack's AMQP URL through a proxy listening on `listen_port`."""
        return f"amqp://guest:guest@127.0.0.1:{listen_port}/{self.amqp_url.rsplit('/', 1)[1]}"

    def publish(self, bodies: list[dict]) -> None:
        """Publish persistent JSON messages to the kitchen queue (confirmed), as the relay would."""
        async def go() -> None:
            conn = await aio_pika.connect(self.amqp_url)
            async with conn:
                ch = await conn.channel(publisher_confirms=True)
                await ch.declare_queue(QUEUE, durable=True)
                for start in range(0, len(bodies), 500):
                    await asyncio.gather(*(ch.default_exchange.publish(
                        aio_pika.Message(json.dumps(b).encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                        routing_key=QUEUE) for b in bodies[start:start + 500]))
        asyncio.run(go())

    def queue_total(self) -> int:
        depth = self.infra.rabbit.queue_depth(QUEUE, vhost=self.amqp_url.rsplit("/", 1)[1])
        return 0 if depth is None else depth.total

    def stop(self) -> None:
        for svc in reversed(self.services):
            if svc.child is not None:
                svc.child.stop()
        self.services.clear()


def _bug_args(bugs: tuple[str, ...]) -> list[str]:
    return [a for b in bugs for a in ("--bug", b)]


def wait_for(predicate, timeout: float = 20.0, what: str = "condition"):
    """Poll until `predicate()` is truthy; returns its value (fails the test at the deadline)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


ORDER = {"channel": "dine_in", "table": "12", "items": [{"dish_id": "D01", "qty": 2}, {"dish_id": "D06", "qty": 1}],
         "note": "no onions", "diner": {"name": "Ana", "phone": "+351 900 000 000"}}
ORDER_TOTAL = 2 * 1800 + 350


def new_key(prefix: str = "k") -> str:
    return f"{prefix}-{time.time_ns()}-{next(_ids)}"
