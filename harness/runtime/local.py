"""The local runtime: PostgreSQL, RabbitMQ, Toxiproxy and the four stack services as children of this process.

Every hop of faults/topology.py gets its own Toxiproxy proxy on a free loopback port; the services are wired
through those proxies exactly as stack/README.md says, while the audit's DSNs and the AMQP URL we expose
go direct. Everything lives under the run folder and stops in `stop()` (idempotent, also on a partial start).
Start it from the thread that outlives it: children get SIGTERM (PDEATHSIG) when the starting thread exits.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from faults.topology import LINKS, LINKS_BY_NAME
from harness.errors import SetupError
from harness.runtime.postgres import PrivatePostgres
from harness.runtime.procs import LOOPBACK, Child, free_port
from harness.runtime.rabbitmq import PrivateRabbit, QueueDepth, RabbitControl
from harness.runtime.supervisor import Supervisor
from harness.runtime.toxiproxy import REPO_ROOT, ToxiproxyServer

KITCHEN_QUEUE = "kitchen.tickets"

DEFAULT_MENU = {"dishes": [
    {"id": "D01", "name": "Mapo tofu", "price_cents": 1800, "sold_out": False},
    {"id": "D02", "name": "Kung pao chicken", "price_cents": 2100, "sold_out": False},
    {"id": "D03", "name": "Dan dan noodles", "price_cents": 1450, "sold_out": False},
    {"id": "D04", "name": "Caesar salad", "price_cents": 1150, "sold_out": False},
    {"id": "D05", "name": "Green tea", "price_cents": 350, "sold_out": False},
    {"id": "D06", "name": "Peking duck (whole)", "price_cents": 6800, "sold_out": True},
]}


@dataclass(frozen=True)
class StackOptions:
    """What varies between runs of the local stack."""

    bugs: tuple[str, ...] = ()
    menu: Path | None = None               # None: a small default menu is written into the run folder
    gateway_timeout: float | None = None   # orders → gateway client timeout (service default if None)
    reconcile_interval: float | None = None
    health_timeout: float = 60.0
    direct: bool = False   # benchmarks only: services dial each other's real ports, no proxy (faults do nothing)


@dataclass(frozen=True)
class Endpoints:
    """Where everything answers. Diners use `orders_api_url` (through diner_edge); the audit uses the DSNs."""

    orders_api_url: str                # via the diner_edge proxy
    orders_direct_url: str
    gateway_url: str
    kitchen_url: str
    toxiproxy_url: str
    orders_dsn: str                    # direct, never through a proxy
    gateway_dsn: str
    kitchen_dsn: str
    amqp_url: str                      # direct
    proxy_ports: dict[str, int]        # link name → listen port on 127.0.0.1
    rabbit: RabbitControl              # to read queue depths (drain)
    menu_path: str
    run_dir: str
    gateway_chaos_token: str = ""      # X-Chaos-Token of the gateway's /admin/chaos (direct address only)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Endpoints":
        return cls(**{**data, "rabbit": RabbitControl(**data["rabbit"]),
                      "proxy_ports": {k: int(v) for k, v in data["proxy_ports"].items()}})


def create_proxy(toxiproxy_url: str, name: str, listen_port: int, upstream: str) -> None:
    """One Toxiproxy proxy, read back by faults.client (a mismatch or refusal is an error)."""
    from faults.client import ToxiproxyClient
    from faults.errors import ToxiproxyError

    try:
        with ToxiproxyClient(toxiproxy_url) as client:
            state = client.create_proxy(name, f"{LOOPBACK}:{listen_port}", upstream)
    except ToxiproxyError as err:
        raise SetupError(f"could not create proxy {name}: {err}") from None
    if state.port != listen_port:
        raise SetupError(f"proxy {name} listens on {state.listen}, asked {LOOPBACK}:{listen_port}")


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/health", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass
class LocalStack:
    """`with LocalStack(run_dir, options) as stack: stack.endpoints...` — start() on enter, stop() on exit."""

    run_dir: Path
    options: StackOptions = field(default_factory=StackOptions)
    postgres: PrivatePostgres | None = None
    rabbit: PrivateRabbit | None = None
    toxiproxy: ToxiproxyServer | None = None
    services: dict[str, Child] = field(default_factory=dict)
    endpoints: Endpoints | None = None
    supervisor: Supervisor | None = None   # process faults on the parts above (set once they run)
    timings: dict[str, float] = field(default_factory=dict)   # seconds per part, for `up` and benchmarks
    proxy_upstreams: dict[str, str] = field(default_factory=dict)   # link name → upstream host:port
    _stopped: set[str] = field(default_factory=set)   # stop steps already done

    def __enter__(self) -> "LocalStack":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _timed(self, name: str, t0: float) -> None:
        self.timings[name] = round(time.monotonic() - t0, 2)

    def start(self) -> "LocalStack":
        try:
            self._start()
        except BaseException:  # includes KeyboardInterrupt/SystemExit from the caller's signal handlers
            self.stop()
            raise
        return self

    def _start(self) -> None:
        t_all = time.monotonic()
        self.run_dir = Path(self.run_dir).resolve()
        (self.run_dir / "logs").mkdir(parents=True, exist_ok=True)
        os.chmod(self.run_dir, 0o755)  # the postgres/rabbitmq users must traverse it when we are root
        menu = self._menu()
        # The broker boots slowest: let it boot while PostgreSQL and Toxiproxy start.
        self.rabbit = PrivateRabbit(self.run_dir)
        self.postgres = PrivatePostgres(self.run_dir)
        self.toxiproxy = ToxiproxyServer(self.run_dir)
        t0 = time.monotonic()
        self.rabbit.launch()
        self.postgres.start()
        self._timed("postgres", t0)
        t1 = time.monotonic()
        self.toxiproxy.start()
        self._timed("toxiproxy", t1)
        self.rabbit.wait_ready()
        self._timed("rabbitmq", t0)
        t0 = time.monotonic()
        ports = {name: free_port() for name in ("orders", "gateway", "kitchen")}
        upstreams = {"orders_api": ports["orders"], "gateway": ports["gateway"],
                     "postgres": self.postgres.port, "rabbitmq": self.rabbit.amqp_port}
        proxy_ports: dict[str, int] = {}
        for link in LINKS:
            proxy_ports[link.name] = free_port()
            self.proxy_upstreams[link.name] = f"{LOOPBACK}:{upstreams[link.upstream]}"
            create_proxy(self.toxiproxy.url, link.name, proxy_ports[link.name], self.proxy_upstreams[link.name])
        self._timed("proxies", t0)

        def via(link: str) -> int:   # direct: the upstream's own port (the proxies exist but carry nothing)
            return upstreams[LINKS_BY_NAME[link].upstream] if self.options.direct else proxy_ports[link]

        def pg_via(link: str, db: str) -> str:   # the same cluster, seen through a proxy
            return PrivatePostgres(self.run_dir, port=via(link)).dsn(db)
        amqp = "amqp://guest:guest@{}:{}/"
        self.endpoints = Endpoints(
            orders_api_url=f"http://{LOOPBACK}:{via('diner_edge')}",
            orders_direct_url=f"http://{LOOPBACK}:{ports['orders']}",
            gateway_url=f"http://{LOOPBACK}:{ports['gateway']}",
            kitchen_url=f"http://{LOOPBACK}:{ports['kitchen']}",
            toxiproxy_url=self.toxiproxy.url,
            orders_dsn=self.postgres.dsn("orders"), gateway_dsn=self.postgres.dsn("gateway"),
            kitchen_dsn=self.postgres.dsn("kitchen"), amqp_url=self.rabbit.amqp_url,
            proxy_ports=proxy_ports, rabbit=self.rabbit.control, menu_path=str(menu), run_dir=str(self.run_dir),
            gateway_chaos_token=secrets.token_hex(16),
        )
        bugs = [arg for name in self.options.bugs for arg in ("--bug", name)]
        orders_extra = []
        if self.options.gateway_timeout is not None:
            orders_extra += ["--gateway-timeout", str(self.options.gateway_timeout)]
        if self.options.reconcile_interval is not None:
            orders_extra += ["--reconcile-interval", str(self.options.reconcile_interval)]
        argv = {
            "gateway": ["stack.payments", "serve", "--port", str(ports["gateway"]),
                        "--dsn", pg_via("gateway_db", "gateway"),
                        "--notify-url", f"http://{LOOPBACK}:{via('payment_notify')}/payments/notify",
                        "--chaos-token", self.endpoints.gateway_chaos_token],
            "kitchen": ["stack.kitchen", "serve", "--port", str(ports["kitchen"]),
                        "--dsn", pg_via("kitchen_db", "kitchen"),
                        "--amqp-url", amqp.format(LOOPBACK, via("kitchen_consume"))],
            "orders": ["stack.orders", "serve", "--port", str(ports["orders"]),
                       "--dsn", pg_via("orders_db", "orders"),
                       "--gateway-url", f"http://{LOOPBACK}:{via('payment_gateway')}",
                       "--amqp-url", amqp.format(LOOPBACK, via("kitchen_publish")),
                       "--menu", str(menu), *orders_extra],
            "relay": ["stack.orders", "relay", "--dsn", pg_via("orders_db", "orders"),
                      "--amqp-url", amqp.format(LOOPBACK, via("kitchen_publish"))],
        }
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        t0 = time.monotonic()
        for name, args in argv.items():
            self.services[name] = Child(name, [sys.executable, "-m", *args, *bugs],
                                        self.run_dir / "logs" / f"{name}.log", env=env, cwd=REPO_ROOT).start()
        for name, url in (("gateway", self.endpoints.gateway_url), ("kitchen", self.endpoints.kitchen_url),
                          ("orders", self.endpoints.orders_direct_url)):
            self.services[name].wait_until(lambda u=url: _healthy(u), self.options.health_timeout,
                                           f"healthy at {url}/health")
        if not self.services["relay"].alive():
            relay = self.services["relay"]
            raise SetupError(f"relay exited (code {relay.proc.returncode}): {relay.log_tail()} (log: {relay.log_path})")
        if not _healthy(self.endpoints.orders_api_url):
            raise SetupError(f"orders API not reachable through diner_edge at {self.endpoints.orders_api_url}")
        self._timed("services", t0)
        self._timed("total", t_all)
        self.supervisor = Supervisor(self)

    def _menu(self) -> Path:
        if self.options.menu is not None:
            path = Path(self.options.menu).resolve()
            if not path.is_file():
                raise SetupError(f"menu file {path} not found: pass an existing JSON menu")
            return path
        path = self.run_dir / "menu.json"
        path.write_text(json.dumps(DEFAULT_MENU, indent=1))
        return path

    def restart_toxiproxy(self) -> str:
        """A wedged Toxiproxy API: kill our server, start it again on its port and recreate every proxy on its
        listen port (fresh proxies hold no toxics: a restart only heals). Returns a detail for the timeline."""
        assert self.toxiproxy is not None and self.endpoints is not None
        old = self.toxiproxy.child.pid if self.toxiproxy.child else None
        self.toxiproxy.stop(sig=signal.SIGKILL)   # a wedged (or stopped) server need not cooperate
        self.toxiproxy.start()
        for name, port in self.endpoints.proxy_ports.items():
            create_proxy(self.toxiproxy.url, name, port, self.proxy_upstreams[name])
        return f"toxiproxy pid {old} -> {self.toxiproxy.child.pid}, {len(self.endpoints.proxy_ports)} proxies recreated"

    def queue_depth(self, name: str = KITCHEN_QUEUE) -> QueueDepth | None:
        assert self.rabbit is not None
        return self.rabbit.queue_depth(name)

    def pids(self) -> list[int]:
        """Leaders of every process group we started (each child is its own session)."""
        found = [c.pid for c in self.services.values() if c.proc is not None]
        if self.toxiproxy is not None and self.toxiproxy.child is not None:
            found.append(self.toxiproxy.child.pid)
        if self.rabbit is not None:
            found += self.rabbit.pids()
        if self.postgres is not None and self.postgres.child is not None:
            found.append(self.postgres.child.pid)
        return found

    def stop(self) -> None:
        """Services first (they hold connections), then Toxiproxy, RabbitMQ, PostgreSQL. Safe to call again,
        also after a signal cut a previous call short: finished steps are skipped, the rest is retried."""
        t0 = time.monotonic()
        errors: list[str] = []
        if self.supervisor is not None:
            self.supervisor.resume_all()
        for name, child in self.services.items():  # signal all first: they shut down in parallel
            if f"service {name}" not in self._stopped and child.alive():
                try:
                    os.killpg(child.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        steps = [(f"service {n}", c.stop) for n, c in reversed(list(self.services.items()))]
        steps += [("toxiproxy", self.toxiproxy.stop if self.toxiproxy else None),
                  ("rabbitmq", self.rabbit.stop if self.rabbit else None),
                  ("postgres", self.postgres.stop if self.postgres else None)]
        for what, step in steps:
            if step is None or what in self._stopped:
                continue
            try:
                step()
            except Exception as err:  # noqa: BLE001 - keep stopping the rest
                errors.append(f"{what}: {err}")
            self._stopped.add(what)
        self.timings.setdefault("stop", round(time.monotonic() - t0, 2))
        if errors:
            raise SetupError("stopping the local stack: " + "; ".join(errors))
