"""The compose target: the reference stack on Docker Compose (compose/docker-compose.yml), needs a Docker engine.

The harness drives it from the host exactly as it drives the local target: Locust runs here against the
published diner_edge proxy, faults go to the published Toxiproxy API, the audit reads the published
PostgreSQL directly. Container logs are collected into the run folder. With DINERUSH_COMPOSE_LOCAL_IMAGES=1 (the
tests' mode) the official images are swapped for local builds and every container uses the host network.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import psycopg

from harness.probe import probe
from harness.reads import Databases, ReadQueries
from harness.runtime.compose import ComposeSettings, ComposeStack, docker_from_env
from harness.targets.common import backlog_of, final_reads_of
from harness.runtime.compose_settings import HostImages

LOCAL_IMAGES_ENV = "DINERUSH_COMPOSE_LOCAL_IMAGES"


def project_name(run_dir: Path) -> str:
    """One compose project per run folder (a name compose accepts), so runs never share containers."""
    return "dinerush-" + (re.sub(r"[^a-z0-9_-]+", "-", run_dir.name.lower()).strip("-_") or "run")


def compose_settings(options, run_dir: Path, build_images=None) -> tuple[ComposeSettings, str | None]:
    """The run's settings; in the tests' mode the local images are built or reused first (their line returned)."""
    settings = ComposeSettings(project=project_name(run_dir), bugs=tuple(options.bugs))
    if os.environ.get(LOCAL_IMAGES_ENV) != "1":
        return settings, None
    from harness.runtime.compose_host import host_network
    from harness.runtime.compose_images import ensure_local_images

    images = (build_images or (lambda: ensure_local_images(docker_from_env(timeout=1800))))()
    chosen = HostImages(toxiproxy=images.toxiproxy, postgres=images.postgres, rabbitmq=images.rabbitmq,
                        app=images.app)
    return ComposeSettings(project=settings.project, bugs=settings.bugs,
                           host_network=host_network(chosen)), images.line()


class ComposeTarget:
    diner_adapter = ""   # the reference stack's diner adapter

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
        settings, built = compose_settings(self.options, self.ctx.run_dir)
        if built:
            self.ctx.event("images", line=built)
        self.stack = self.stack_factory(self.ctx.run_dir, settings)
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
