"""The host-network override is derived from the users' docker-compose.yml: every address moves to 127.0.0.1 at a
port of its own, nothing else changes, and a port the mapping does not know is an error naming where to add it."""
from __future__ import annotations

import json
import re

import pytest
import yaml

from harness.errors import SetupError
from harness.runtime.compose_host import (
    ADDRESS, HOSTS, SERVICE_PORTS, host_network, localize, override, pick_ports, toxiproxy_config, write_override,
)
from harness.runtime.compose_settings import COMPOSE_FILE, HostImages, HostPorts, compose_proxies

IMAGES = HostImages("local/toxiproxy:t", "local/postgres:t", "local/rabbitmq:t", "local/app:t")


@pytest.fixture
def net():
    return host_network(IMAGES)


def test_every_service_port_and_proxy_gets_its_own_port(net):
    host_ports = [h for _, _, h in net.ports.ports] + [net.ports.rabbit_dist, net.ports.rabbit_epmd]
    assert len(set(host_ports)) == len(host_ports)
    assert len(net.ports.ports) == len(SERVICE_PORTS) + len(compose_proxies())


def test_addresses_move_to_loopback_at_the_mapped_port():
    ports = HostPorts((("toxiproxy", 20432, 41000), ("orders", 8000, 41001), ("master", 5557, 41002)), 1, 2)
    cmd = ["serve", "--host", "0.0.0.0", "--port", "8000", "--dsn", "postgresql://u:p@toxiproxy:20432/orders",
           "--master-host", "master", "--users", "8000"]
    assert localize("orders", cmd, ports) == [
        "serve", "--host", "127.0.0.1", "--port", "41001", "--dsn", "postgresql://u:p@127.0.0.1:41000/orders",
        "--master-host", "127.0.0.1", "--users", "8000"]
    # a service's own 127.0.0.1:PORT (its healthcheck) is its own port
    assert localize("orders", ["dinerush-health", "http://127.0.0.1:8000/health"], ports) == [
        "dinerush-health", "http://127.0.0.1:41001/health"]


def test_an_unmapped_port_names_the_table_to_extend():
    ports = HostPorts((), 1, 2)
    with pytest.raises(SetupError, match=r"uses kitchen:9999.*add it to SERVICE_PORTS"):
        localize("relay", ["http://kitchen:9999/"], ports)


def test_the_override_leaves_no_service_name_address_and_no_wildcard(net, tmp_path):
    doc = override(net, "dinerush-t", tmp_path / "toxiproxy.json")
    text = write_override(net, "dinerush-t", tmp_path).read_text()
    assert not [m.group(0) for m in ADDRESS.finditer(text) if m["host"] != "127.0.0.1"]
    assert "0.0.0.0" not in text
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    assert set(doc["services"]) == set(services)
    for name, entry in doc["services"].items():
        assert entry["network_mode"] == "host" and entry["pull_policy"] == "never"
        assert entry["image"].startswith("local/")
    assert doc["services"]["postgres"]["image"] == IMAGES.postgres
    assert doc["services"]["orders"]["image"] == IMAGES.app


def test_the_override_keeps_each_command_but_its_addresses(net, tmp_path):
    """Token by token, only ports and hosts differ from the users' file (plus Locust's loopback binding)."""
    doc = override(net, "dinerush-t", tmp_path / "toxiproxy.json")["services"]
    users = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    for name in ("orders", "relay", "gateway", "kitchen", "toxiproxy"):
        ours, theirs = doc[name]["command"], users[name]["command"]
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            if a != b:
                assert re.search(r"\d", b) or b in HOSTS or b == "0.0.0.0", (name, a, b)
    assert doc["master"]["command"][-6:] == ["--master-bind-host", "127.0.0.1", "--master-bind-port",
                                             str(net.ports.of("master", 5557)), "--web-host", "127.0.0.1"]
    assert doc["worker"]["command"][-2:] == ["--master-port", str(net.ports.of("master", 5557))]


def test_written_override_resets_published_ports_and_mounts_the_proxy_config(net, tmp_path):
    path = write_override(net, "dinerush-t", tmp_path)
    text = path.read_text()
    assert text.count("ports: !reset []") == sum(1 for s in yaml.safe_load(COMPOSE_FILE.read_text())["services"]
                                                 .values() if s.get("ports"))
    config = json.loads((tmp_path / "toxiproxy.json").read_text())
    assert {p["name"] for p in config} == {p.name for p in compose_proxies()}
    assert all(p["listen"].startswith("127.0.0.1:") and p["upstream"].startswith("127.0.0.1:") for p in config)
    assert f"{tmp_path / 'toxiproxy.json'}:/config/toxiproxy.json:ro" in text


def test_proxy_upstreams_point_at_the_mapped_service_ports():
    ports = pick_ports()
    config = {p["name"]: p for p in toxiproxy_config(ports)}
    assert config["diner_edge"]["upstream"] == f"127.0.0.1:{ports.of('orders', 8000)}"
    assert config["orders_db"]["upstream"] == f"127.0.0.1:{ports.of('postgres', 5432)}"
    assert config["kitchen_consume"]["listen"] == f"127.0.0.1:{ports.of('toxiproxy', 20673)}"
