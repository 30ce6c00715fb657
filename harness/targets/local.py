"""The local target: the reference stack as child processes of the harness (harness.runtime.local)."""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from typing import Iterator

from harness.probe import probe
from harness.reads import Databases, ReadQueries
from harness.runtime.local import KITCHEN_QUEUE, LocalStack, StackOptions
from harness.runtime.procs import pid_alive
from harness.targets.common import backlog_of, final_reads_of
from scenarios.data import make_menu


class LocalTarget:
    diner_adapter = ""   # the reference stack's diner adapter

    def __init__(self, options) -> None:
        self.options = options
        self.ctx = None   # the session's RunContext, from up(ctx)
        self.stack: LocalStack | None = None
        self.queries = ReadQueries()

    @contextmanager
    def up(self, ctx) -> Iterator[object]:
        self.ctx = ctx
        menu = make_menu(self.options.seed).write(self.ctx.run_dir / "menu.json")
        stack = LocalStack(self.ctx.run_dir, StackOptions(bugs=tuple(self.options.bugs), menu=menu))
        try:
            with stack:
                self.stack = stack
                self.ctx.event("up", timings=stack.timings)
                yield stack.endpoints
        finally:
            # Stopped (or never started): the final reads are saved, so drop the databases' files (tens of
            # MB per run) and keep the logs.
            if not stack.pids() or all(not pid_alive(p) for p in stack.pids()):
                for data in (self.ctx.run_dir / "pg", self.ctx.run_dir / "rabbitmq" / "mnesia"):
                    shutil.rmtree(data, ignore_errors=True)

    @property
    def endpoints(self):
        assert self.stack is not None and self.stack.endpoints is not None
        return self.stack.endpoints

    @property
    def diner_url(self) -> str:
        return self.endpoints.orders_api_url

    @property
    def databases(self) -> Databases:
        e = self.endpoints
        return Databases(orders=e.orders_dsn, gateway=e.gateway_dsn, kitchen=e.kitchen_dsn)

    def probe(self) -> str:
        return probe(self.endpoints.orders_api_url, self.endpoints.kitchen_url).line()

    def fault_client(self):
        from faults.client import ToxiproxyClient
        return ToxiproxyClient(self.endpoints.toxiproxy_url)

    def process_control(self):
        """Process faults (kill, start, pause, resume of the stack's parts): the local stack's supervisor."""
        assert self.stack is not None
        return self.stack.supervisor

    def gateway_control(self):
        """The simulated payment provider's chaos control, at its direct address (diners never reach it)."""
        from harness.targets.gateway_chaos import HttpGatewayControl
        return HttpGatewayControl(self.endpoints.gateway_url, self.endpoints.gateway_chaos_token)

    def fault_proxy_restart(self):
        """Restarts our own Toxiproxy when its API wedges (faults.runner.TimelineRunner.restart_proxy)."""
        return self.stack.restart_toxiproxy if self.stack is not None else None

    def dead_services(self) -> list[str]:
        """Services that died by themselves (one a fault took down on purpose is not dead)."""
        assert self.stack is not None
        held = self.stack.supervisor.held() if self.stack.supervisor else frozenset()
        return [name for name, child in self.stack.services.items() if not child.alive() and name not in held]

    def process_roots(self) -> dict[str, int]:
        """Leaders of the process groups the local stack started (services, PostgreSQL, RabbitMQ, Toxiproxy)."""
        stack = self.stack
        if stack is None:
            return {}
        roots = {name: child.pid for name, child in stack.services.items() if child.proc is not None}
        for name, part in (("postgres", stack.postgres), ("rabbitmq", stack.rabbit), ("toxiproxy", stack.toxiproxy)):
            if part is not None and part.child is not None:
                roots[name] = part.child.pid
        return roots

    def queue_depth(self) -> int:
        depth = self.stack.queue_depth(KITCHEN_QUEUE) if self.stack else None
        return depth.total if depth is not None else 0

    def backlog(self):
        return backlog_of(self, self.queries)

    def read_final(self):
        return final_reads_of(self, self.queries)

    def collect_logs(self) -> None:
        """Service logs are already written into the run folder's logs/."""
