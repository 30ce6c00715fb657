"""The external target: someone else's stack, described by a TOML adapter file (`--config FILE`).

The contract (see README "Your own stack"): diners speak the HTTP API of stack/README.md at
`[http].orders`; the audit reads the three systems of record with the SQL in `[queries]` (defaults:
the reference schema), each query returning the columns harness.reads.ReadQueries documents;
faults need a Toxiproxy at `[toxiproxy].url` with proxies named as faults/topology.py's links.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Iterator

import httpx

from harness.errors import SetupError, UsageError
from harness.probe import probe
from harness.reads import Databases, ReadQueries
from harness.targets.common import backlog_of, final_reads_of, read_config, require_loopback, since_load_began



@dataclass(frozen=True)
class ExternalConfig:
    orders_url: str
    kitchen_url: str | None
    toxiproxy_url: str | None
    databases: Databases
    queries: ReadQueries
    rabbit: object | None = None   # harness.runtime.rabbitmq.RabbitControl, for queue depth
    processes: object | None = None   # harness.runtime.commands.CommandControl: [processes.<part>] commands
    gateway_chaos_url: str | None = None   # [gateway].chaos_url: the provider's chaos control, if it has one
    gateway_chaos_token: str = ""          # [gateway].chaos_token

    @classmethod
    def load(cls, path: Path, allow_remote: bool = False) -> "ExternalConfig":
        raw = read_config(path, "see README, 'Your own stack'")
        try:
            http, dbs = raw["http"], raw["databases"]
            cfg = cls(
                orders_url=str(http["orders"]).rstrip("/"),
                kitchen_url=str(http["kitchen"]).rstrip("/") if http.get("kitchen") else None,
                toxiproxy_url=str(raw["toxiproxy"]["url"]).rstrip("/") if raw.get("toxiproxy") else None,
                databases=Databases(orders=str(dbs["orders"]), gateway=str(dbs["gateway"]), kitchen=str(dbs["kitchen"])),
                queries=cls._queries(path, raw.get("queries", {})),
                rabbit=cls._rabbit(raw.get("rabbitmq")),
                processes=cls._processes(path, raw.get("processes")),
                gateway_chaos_url=str(raw["gateway"]["chaos_url"]).rstrip("/") if raw.get("gateway") else None,
                gateway_chaos_token=str(raw.get("gateway", {}).get("chaos_token", "")),
            )
        except KeyError as err:
            raise UsageError(f"{path}: missing key {err.args[0]!r} (needs [http].orders and "
                             "[databases].orders/gateway/kitchen)") from None
        if not allow_remote:
            require_loopback(path, cfg.addresses())
        return cfg

    @staticmethod
    def _queries(path: Path, raw: dict) -> ReadQueries:
        known = {f.name for f in fields(ReadQueries)}
        unknown = set(raw) - known
        if unknown:
            raise UsageError(f"{path}: unknown [queries] {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        return ReadQueries(**{k: str(v) for k, v in raw.items()})

    @staticmethod
    def _processes(path: Path, raw: object):
        from harness.runtime.commands import CommandControl
        return CommandControl.parse(path, raw)

    @staticmethod
    def _rabbit(raw: dict | None):
        if not raw:
            return None
        from harness.runtime.rabbitmq import RabbitControl
        return RabbitControl(node=str(raw["node"]), dist_port=int(raw["dist_port"]), cookie_file=str(raw["cookie_file"]))

    def addresses(self) -> list[str]:
        urls = [self.orders_url, self.kitchen_url, self.toxiproxy_url, self.gateway_chaos_url]
        urls += [d if "://" in d else f"postgresql://{d}" for d in
                 (self.databases.orders, self.databases.gateway, self.databases.kitchen)]
        return [u for u in urls if u]


class ExternalTarget:
    diner_adapter = ""   # the reference stack's diner adapter

    def __init__(self, options) -> None:
        if options.config is None:
            raise UsageError("--target external needs --config FILE (see README, 'Your own stack')")
        if options.bugs:
            raise UsageError("--bug switches defects of the local reference stack; with --target external, "
                             "start the stack with the defect instead (dinerush up --bug NAME)")
        self.cfg = ExternalConfig.load(options.config, options.allow_remote)
        self.ctx = None   # the session's RunContext, from up(ctx)

    @contextmanager
    def up(self, ctx) -> Iterator[object]:
        self.ctx = ctx
        try:
            httpx.get(self.cfg.orders_url + "/menu", timeout=5.0).raise_for_status()
        except httpx.HTTPError as err:
            raise SetupError(f"target unreachable at {self.cfg.orders_url} ({type(err).__name__}): "
                             "start it (e.g. dinerush up --detach) or fix [http].orders") from None
        yield self.cfg

    @property
    def diner_url(self) -> str:
        return self.cfg.orders_url

    def probe(self) -> str:
        if self.cfg.kitchen_url is None:
            return "probe skipped: no [http].kitchen in the target config"
        return probe(self.cfg.orders_url, self.cfg.kitchen_url).line()

    def fault_client(self):
        if self.cfg.toxiproxy_url is None:
            raise SetupError("this profile injects faults but the target config has no [toxiproxy].url: "
                             "add it, or run --schedule none")
        from faults.client import ToxiproxyClient
        return ToxiproxyClient(self.cfg.toxiproxy_url)

    def process_control(self):
        """Process faults through the commands of the config's [processes.<part>] tables (preflight names a
        missing one)."""
        return self.cfg.processes

    def fault_proxy_restart(self):
        """An external Toxiproxy is not ours to restart: a wedged API makes the run inconclusive."""
        return None

    def gateway_control(self):
        """The payment provider's chaos control at [gateway].chaos_url, or None when the config has none."""
        if self.cfg.gateway_chaos_url is None:
            return None
        from harness.targets.gateway_chaos import HttpGatewayControl
        return HttpGatewayControl(self.cfg.gateway_chaos_url, self.cfg.gateway_chaos_token)

    def dead_services(self) -> list[str]:
        return []

    def process_roots(self) -> dict[str, int]:
        """Someone else's processes: not measured."""
        return {}

    @property
    def databases(self) -> Databases:
        return self.cfg.databases

    def queue_depth(self) -> int:
        if self.cfg.rabbit is None:
            return 0
        depth = self.cfg.rabbit.queue_depth("kitchen.tickets")
        return depth.total if depth is not None else 0

    def backlog(self):
        return backlog_of(self, self.cfg.queries)

    def read_final(self):
        # A long-lived stack holds earlier runs' rows: audit only what was created since this load began.
        return final_reads_of(self, self.cfg.queries, since=since_load_began(self.ctx))

    def collect_logs(self) -> None:
        """An external stack keeps its own logs."""


def config_text(e) -> str:
    """The adapter file for a reference stack started by `dinerush up` (an Endpoints): the worked example."""
    r = e.rabbit
    return f'''# dinerush external target: the reference stack of `dinerush up` ({e.run_dir})
# dinerush run ci-gate --target external --config THIS_FILE

[http]
orders = "{e.orders_api_url}"     # where diners go: the diner_edge Toxiproxy link
kitchen = "{e.kitchen_url}"       # the KDS, for the steady-state probe

[toxiproxy]
url = "{e.toxiproxy_url}"         # proxies named as faults/topology.py's links

[gateway]                             # optional: the payment provider's chaos control (provider faults)
chaos_url = "{e.gateway_url}"
chaos_token = "{e.gateway_chaos_token}"

[databases]                           # read directly by the audit, never through a proxy
orders = "{e.orders_dsn}"
gateway = "{e.gateway_dsn}"
kitchen = "{e.kitchen_dsn}"

[rabbitmq]                            # optional: kitchen queue depth for the drain
node = "{r.node}"
dist_port = {r.dist_port}
cookie_file = "{r.cookie_file}"

# [processes.kitchen]                 # optional: process faults (service_crash, service_pause, broker_restart,
# kill = "kill -KILL $(cat /run/kds.pid)"   # db_restart) run these commands, each bounded by timeout (s)
# start = "start-kds && curl -fsS --retry 30 --retry-connrefused --retry-delay 1 http://127.0.0.1:8200/health"
# pause = "kill -STOP $(cat /run/kds.pid)"
# resume = "kill -CONT $(cat /run/kds.pid)"
# timeout = 60

# [queries]                           # optional: your own schema; see harness/reads.py ReadQueries
# orders = "SELECT id, idempotency_key, status, items, total_cents, extract(epoch from created_at), extract(epoch from paid_at) FROM orders"
'''
