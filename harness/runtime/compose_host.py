"""The tests' override of docker-compose.yml: local images, `network_mode: host`, and every listener moved to
its own free port on 127.0.0.1. Derived mechanically from the user's file (its commands, healthchecks and
toxiproxy.json), so the file users run stays the one source; a port it uses that is not mapped is an error."""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import yaml

from harness.errors import SetupError
from harness.runtime.compose_settings import (
    COMPOSE_FILE, EDGE_LISTEN_PORT, TOXIPROXY_CONFIG, HostImages, HostNetwork, HostPorts, compose_proxies,
)
from harness.runtime.procs import LOOPBACK, free_port

# the ports services listen on inside their containers in docker-compose.yml (the proxies' come from toxiproxy.json)
SERVICE_PORTS: tuple[tuple[str, int], ...] = (
    ("toxiproxy", 8474), ("orders", 8000), ("gateway", 8100), ("kitchen", 8200), ("postgres", 5432),
    ("rabbitmq", 5672), ("master", 8089), ("master", 5557),
)
HOSTS = ("toxiproxy", "postgres", "rabbitmq", "orders", "relay", "gateway", "kitchen", "master", "worker")
PORT_FLAGS = ("--port", "-port", "--web-port")
HOST_FLAGS = ("--master-host",)
ADDRESS = re.compile(r"\b(?P<host>" + "|".join(HOSTS) + r"|127\.0\.0\.1|localhost|0\.0\.0\.0):(?P<port>\d+)\b")
IMAGE_OF = {"toxiproxy": "toxiproxy", "postgres": "postgres", "rabbitmq": "rabbitmq"}   # the rest: app
CONTAINER_CONFIG = "/config/toxiproxy.json"


class Reset(list):
    """`!reset []` in the override: drops the users' published ports (there is nothing to publish on the host
    network; Compose v2.18+ reads the tag)."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(Reset, lambda dumper, data: dumper.represent_sequence("!reset", []))


def pick_ports(config: Path = TOXIPROXY_CONFIG) -> HostPorts:
    """A free 127.0.0.1 port for every service port and proxy listen port, plus the broker's two."""
    keys = list(SERVICE_PORTS)
    keys += [("toxiproxy", int(p.listen.rsplit(":", 1)[1])) for p in compose_proxies(config)]
    return HostPorts(tuple((s, p, free_port()) for s, p in keys), rabbit_dist=free_port(), rabbit_epmd=free_port())


def host_network(images: HostImages, config: Path = TOXIPROXY_CONFIG) -> HostNetwork:
    return HostNetwork(images, pick_ports(config))


def _port(ports: HostPorts, service: str, port: int) -> int:
    mapped = ports.of(service, port)
    if mapped is None:
        raise SetupError(f"docker-compose.yml uses {service}:{port}, which the host-network override does not map: "
                         f"add it to SERVICE_PORTS in harness/runtime/compose_host.py")
    return mapped


def localize(service: str, tokens: Sequence[str], ports: HostPorts) -> list[str]:
    """One command or healthcheck of `service`, with every address moved to 127.0.0.1 and its mapped port."""
    out: list[str] = []
    prev = ""
    for original in tokens:
        tok = original
        if prev in PORT_FLAGS and tok.isdigit():
            tok = str(_port(ports, service, int(tok)))
        elif prev in HOST_FLAGS and tok in HOSTS:
            tok = LOOPBACK
        else:
            def move(m: re.Match) -> str:
                host = m["host"]
                owner = service if host in (LOOPBACK, "localhost", "0.0.0.0") else host
                return f"{LOOPBACK}:{_port(ports, owner, int(m['port']))}"
            tok = ADDRESS.sub(move, tok)
            if tok == "0.0.0.0":
                tok = LOOPBACK
        out.append(tok)
        prev = original
    return out


def toxiproxy_config(ports: HostPorts, config: Path = TOXIPROXY_CONFIG) -> list[dict]:
    """compose/toxiproxy.json with listen and upstream addresses on 127.0.0.1 at the mapped ports."""
    out = []
    for p in compose_proxies(config):
        listen, upstream = (localize("toxiproxy", [a], ports)[0] for a in (p.listen, p.upstream))
        out.append({"name": p.name, "listen": listen, "upstream": upstream, "enabled": True})
    return out


def override(net: HostNetwork, project: str, config_path: Path, compose_file: Path = COMPOSE_FILE) -> dict:
    """The override document: per service image, host network, localized command and healthcheck, and the
    infrastructure's port variables; Locust's master/worker link bound to 127.0.0.1 as well."""
    services = yaml.safe_load(compose_file.read_text())["services"]
    ports = net.ports
    out: dict[str, dict] = {}
    for name, svc in services.items():
        role = IMAGE_OF.get(name, "app")
        entry: dict = {"image": getattr(net.images, role), "pull_policy": "never", "network_mode": "host"}
        if svc.get("command"):
            entry["command"] = localize(name, svc["command"], ports)
        if svc.get("ports"):
            entry["ports"] = Reset()
        test = (svc.get("healthcheck") or {}).get("test")
        if test:
            entry["healthcheck"] = {"test": localize(name, test, ports)}
        out[name] = entry
    master_port = str(_port(ports, "master", 5557))
    out["toxiproxy"]["volumes"] = [f"{config_path}:{CONTAINER_CONFIG}:ro"]
    out["postgres"]["environment"] = {"PGPORT": str(_port(ports, "postgres", 5432)),
                                      "POSTGRES_LISTEN_ADDRESSES": LOOPBACK}
    out["rabbitmq"]["environment"] = {
        "RABBITMQ_NODENAME": f"rabbit-{project}@localhost", "RABBITMQ_NODE_IP_ADDRESS": LOOPBACK,
        "RABBITMQ_NODE_PORT": str(_port(ports, "rabbitmq", 5672)), "RABBITMQ_DIST_PORT": str(ports.rabbit_dist),
        "ERL_EPMD_PORT": str(ports.rabbit_epmd), "ERL_EPMD_ADDRESS": LOOPBACK,
    }
    out["master"]["command"] += ["--master-bind-host", LOOPBACK, "--master-bind-port", master_port,
                                 "--web-host", LOOPBACK]
    out["worker"]["command"] += ["--master-port", master_port]
    return {"services": out}


def write_override(net: HostNetwork, project: str, into: Path, compose_file: Path = COMPOSE_FILE,
                   config: Path = TOXIPROXY_CONFIG) -> Path:
    """Write toxiproxy.json and the override file into `into`; returns the override's path."""
    into.mkdir(parents=True, exist_ok=True)
    config_path = into / "toxiproxy.json"
    config_path.write_text(json.dumps(toxiproxy_config(net.ports, config), indent=2))
    path = into / "docker-compose.host.yml"
    path.write_text(yaml.dump(override(net, project, config_path, compose_file), Dumper=_Dumper, sort_keys=False))
    return path


def edge_port(net: HostNetwork) -> int:
    return _port(net.ports, "toxiproxy", EDGE_LISTEN_PORT)
