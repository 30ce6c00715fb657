"""What a compose run is given and what it hands back: the services, the per-run settings (project, defects, host
ports, the optional host-network mode of the tests), the Locust run of the load profile, and the endpoints."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_DIR = REPO_ROOT / "compose"
COMPOSE_FILE = COMPOSE_DIR / "docker-compose.yml"
TOXIPROXY_CONFIG = COMPOSE_DIR / "toxiproxy.json"

STACK_SERVICES: tuple[str, ...] = ("toxiproxy", "postgres", "rabbitmq", "orders", "relay", "gateway", "kitchen")
LOAD_SERVICES: tuple[str, ...] = ("master", "worker")
DB_USER = DB_PASSWORD = "dinerush"
EDGE_LISTEN_PORT = 20080         # diner_edge's listen port inside the toxiproxy container (toxiproxy.json)
KITCHEN_QUEUE = "kitchen.tickets"


@dataclass(frozen=True)
class ProxySpec:
    """One proxy of compose/toxiproxy.json (created by the toxiproxy service at start)."""

    name: str
    listen: str
    upstream: str


def compose_proxies(path: Path = TOXIPROXY_CONFIG) -> tuple[ProxySpec, ...]:
    """The proxies the compose toxiproxy service creates: already there, the harness must not re-create them."""
    return tuple(ProxySpec(p["name"], p["listen"], p["upstream"]) for p in json.loads(path.read_text()))


@dataclass(frozen=True)
class HostImages:
    """Images swapped in for the official ones by the host-network override (compose/local/, built locally)."""

    toxiproxy: str
    postgres: str
    rabbitmq: str
    app: str


@dataclass(frozen=True)
class HostPorts:
    """Host-network mode: every (service, port inside docker-compose.yml) → its own free port on 127.0.0.1, plus
    the broker's Erlang distribution and epmd ports, so that a run never meets another run's listeners."""

    ports: tuple[tuple[str, int, int], ...]
    rabbit_dist: int
    rabbit_epmd: int

    def of(self, service: str, port: int) -> int | None:
        return next((host for s, p, host in self.ports if s == service and p == port), None)


@dataclass(frozen=True)
class HostNetwork:
    """The tests' mode: local images, `network_mode: host`, every listener on 127.0.0.1 at a per-run port."""

    images: HostImages
    ports: HostPorts


@dataclass(frozen=True)
class ComposeSettings:
    """What varies per run: project name, seeded defects, host ports (127.0.0.1), and host_network for the tests
    (None: docker-compose.yml as users run it, official images, published ports)."""

    project: str = "dinerush"
    bugs: tuple[str, ...] = ()
    toxiproxy_port: int = 8474
    edge_port: int = 20080
    postgres_port: int = 25432
    locust_port: int = 8089
    host_network: HostNetwork | None = None

    def env(self, out_dir: Path) -> dict[str, str]:
        """The variables docker-compose.yml interpolates; the same for every call so nothing is recreated."""
        return {
            "DINERUSH_BUGS": ",".join(self.bugs),
            "DINERUSH_TOXIPROXY_PORT": str(self.toxiproxy_port),
            "DINERUSH_EDGE_PORT": str(self.edge_port),
            "DINERUSH_PG_PORT": str(self.postgres_port),
            "DINERUSH_LOCUST_PORT": str(self.locust_port),
            "DINERUSH_OUT_DIR": str(out_dir),
            "DINERUSH_UID": str(os.getuid()),
            "DINERUSH_GID": str(os.getgid()),
        }


@dataclass(frozen=True)
class LoadSettings:
    """The Locust master's run (profile "load"): N workers, -u/-r/-t, and the diners' --dinerush-* options
    (scenarios/options.py). The master writes the ledger to <run_dir>/compose-out/ledger.jsonl."""

    workers: int = 1
    users: int = 20
    spawn_rate: float = 5.0
    run_time_s: float = 60.0
    seed: int = 0
    run_id: str = ""               # empty: the master generates one
    shape: str = "none"
    peak_users: int = 20
    shape_seconds: float = 180.0
    mix: str = ""                  # empty: the default weights of scenarios/diners/kinds.py

    def env(self) -> dict[str, str]:
        return {
            "DINERUSH_WORKERS": str(self.workers),
            "DINERUSH_USERS": str(self.users),
            "DINERUSH_SPAWN_RATE": f"{self.spawn_rate:g}",
            "DINERUSH_RUN_TIME": f"{int(round(self.run_time_s))}s",
            "DINERUSH_SEED": str(self.seed),
            "DINERUSH_RUN_ID": self.run_id,
            "DINERUSH_SHAPE": self.shape,
            "DINERUSH_PEAK_USERS": str(self.peak_users),
            "DINERUSH_SHAPE_SECONDS": f"{self.shape_seconds:g}",
            "DINERUSH_MIX": self.mix,
        }


@dataclass(frozen=True)
class ComposeEndpoints:
    """Where the harness reaches the compose stack from the host. The DSNs are direct (published PostgreSQL),
    never through a proxy: the audit reads the systems of record as they are."""

    toxiproxy_api: str
    diner_edge_url: str        # host side of the diner_edge proxy (probe order, drain checks)
    diner_edge_in_network: str  # what the Locust containers dial
    orders_dsn: str
    gateway_dsn: str
    kitchen_dsn: str
    locust_ui: str
