"""The compose target: the reference stack on Docker Compose (compose/docker-compose.yml), needs a Docker engine.

The harness drives it from the host exactly as it drives the local target: Locust runs here against the
published diner_edge proxy, faults go to the published Toxiproxy API, the audit reads the published
PostgreSQL directly. Container logs are collected into the run folder.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import psycopg

from harness.probe import probe
from harness.reads import Databases, ReadQueries
from harness.runtime.compose import ComposeSettings, ComposeStack
from harness.targets.common import backlog_of, final_reads_of


class ComposeTarget:
    def __init__(self, options, stack_factory=ComposeStack) -> None:
        self.options = options
        self.ctx = None   # the session's RunContext, from up(ctx)
        self.stack_factory = stack_factory
        self.stack = None
        self.endpoints = None
        self.processes = None   # ComposeProcesses, made on first use (it needs the stack)
        self.queries = ReadQueries()

    @contextmanager
    def up(self, ctx) -> Iterator[object]:
        self.ctx = ctx
        self.stack = self.stack_factory(self.ctx.run_dir, ComposeSettings(bugs=tuple(self.options.bugs)))
        try:
            self.endpoints = self.stack.up()
        except BaseException:
            try:
                self.stack.down()   # a half-started project is still removed
            except Exception:       # the first error is the one worth reporting
                pass
            raise
        try:
            self.ctx.event("up", target="compose")
            yield self.endpoints
        finally:
            self.stack.down()

    @property
    def diner_url(self) -> str:
        return self.endpoints.diner_edge_url

    @property
    def databases(self) -> Databases:
        e = self.endpoints
        return Databases(orders=e.orders_dsn, gateway=e.gateway_dsn, kitchen=e.kitchen_dsn)

    def _ticket_shown(self, order_id: str) -> bool:
        with psycopg.connect(self.endpoints.kitchen_dsn, connect_timeout=5, autocommit=True) as conn:
            return conn.execute("SELECT 1 FROM tickets WHERE order_id = %s", (order_id,)).fetchone() is not None

    def probe(self) -> str:
        return probe(self.diner_url, None, ticket_shown=self._ticket_shown).line()

    def fault_client(self):
        from faults.client import ToxiproxyClient
        return ToxiproxyClient(self.endpoints.toxiproxy_api)

    def process_control(self):
        """Process faults as container kill / start / pause / unpause (docker SDK)."""
        if self.processes is None:
            from harness.runtime.compose_procs import ComposeProcesses
            self.processes = ComposeProcesses(self.stack)
        return self.processes

    def fault_proxy_restart(self):
        """Not offered: a wedged Toxiproxy container makes the run inconclusive."""
        return None

    def gateway_control(self):
        """The payment provider's chaos control: not offered yet."""
        return None

    def dead_services(self) -> list[str]:
        """Services whose containers stopped by themselves (one a process fault killed on purpose is not dead)."""
        held = self.processes.held() if self.processes is not None else frozenset()
        return [s for s in ("orders", "relay", "gateway", "kitchen")
                if s not in held and self.stack.health(s).startswith(("exited", "missing"))]

    def process_roots(self) -> dict[str, int]:
        """The containers' processes are not ours to measure from here."""
        return {}

    def queue_depth(self) -> int:
        return self.stack.queue_depth().total

    def backlog(self):
        return backlog_of(self, self.queries)

    def read_final(self):
        return final_reads_of(self, self.queries)

    def collect_logs(self) -> None:
        self.stack.collect_logs()
