"""LocalStack: the whole local runtime (real PostgreSQL, RabbitMQ, Toxiproxy, the four services) wired as
stack/README.md says, proven by a probe order, and stopped without leaving a process behind."""
from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from faults.topology import LINKS
from harness.errors import SetupError
from harness.probe import probe
from harness.runtime.local import Endpoints, LocalStack, StackOptions
from harness.runtime.procs import pid_alive, process_tree
from harness.runtime.rabbitmq import QueueDepth, RabbitControl


@pytest.fixture()
def run_dir():
    path = Path(tempfile.mkdtemp(prefix="dinerush-localtest-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _all_processes(stack: LocalStack) -> set[int]:
    found: set[int] = set()
    for pid in stack.pids():
        found |= process_tree(pid)
    return found


def _argv(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


def _port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


@pytest.mark.slow
def test_local_stack_is_wired_through_its_links_and_stops_clean(run_dir: Path) -> None:
    stack = LocalStack(run_dir)
    with stack:
        e = stack.endpoints
        assert e is not None
        # one proxy per link, each listening where Endpoints says and forwarding to the right part
        proxies = httpx.get(f"{e.toxiproxy_url}/proxies").json()
        assert set(proxies) == {link.name for link in LINKS} == set(e.proxy_ports)
        upstream_port = {"orders_api": _port_of(e.orders_direct_url), "gateway": _port_of(e.gateway_url),
                         "postgres": stack.postgres.port, "rabbitmq": stack.rabbit.amqp_port}
        for link in LINKS:
            assert proxies[link.name]["listen"] == f"127.0.0.1:{e.proxy_ports[link.name]}"
            assert proxies[link.name]["upstream"] == f"127.0.0.1:{upstream_port[link.upstream]}"
            assert proxies[link.name]["enabled"] is True
        # the audit and the drain go direct
        assert {_port_of(d) for d in (e.orders_dsn, e.gateway_dsn, e.kitchen_dsn)} == {stack.postgres.port}
        assert _port_of(e.amqp_url) == stack.rabbit.amqp_port
        assert _port_of(e.orders_api_url) == e.proxy_ports["diner_edge"]
        # each service dials through its link (README table)
        via = {name: str(port) for name, port in e.proxy_ports.items()}
        orders = " ".join(_argv(stack.services["orders"].pid))
        assert f":{via['orders_db']}/orders" in orders and f":{via['payment_gateway']}" in orders
        assert f":{via['kitchen_publish']}/" in orders
        relay = " ".join(_argv(stack.services["relay"].pid))
        assert f":{via['orders_db']}/orders" in relay and f":{via['kitchen_publish']}/" in relay
        gateway = " ".join(_argv(stack.services["gateway"].pid))
        assert f":{via['payment_notify']}/payments/notify" in gateway and f":{via['gateway_db']}/gateway" in gateway
        kitchen = " ".join(_argv(stack.services["kitchen"].pid))
        assert f":{via['kitchen_consume']}/" in kitchen and f":{via['kitchen_db']}/kitchen" in kitchen
        # steady state end to end through the diner edge, and the kitchen queue drains
        result = probe(e.orders_api_url, e.kitchen_url, timeout=20)
        assert result.order_id
        for _ in range(100):
            if stack.queue_depth() == QueueDepth(0, 0):
                break
            time.sleep(0.1)
        assert stack.queue_depth() == QueueDepth(0, 0)
        for name in ("orders", "relay", "gateway", "kitchen", "postgres", "rabbitmq", "toxiproxy"):
            assert (run_dir / "logs" / f"{name}.log").exists()
        assert Path(e.menu_path) == run_dir / "menu.json"
        assert Endpoints.from_json(e.to_json()) == e
        everything = _all_processes(stack)
        assert len(everything) >= 10
    assert not sorted(p for p in everything if pid_alive(p))
    stack.stop()  # idempotent


@pytest.mark.slow
def test_a_service_that_fails_to_start_stops_everything_already_started(run_dir: Path) -> None:
    stack = LocalStack(run_dir, StackOptions(bugs=("no-such-bug",), health_timeout=30))
    started: set[int] = set()
    original = stack._start

    def spy() -> None:
        try:
            original()
        finally:
            started.update(_all_processes(stack))

    stack._start = spy
    with pytest.raises(SetupError) as err:
        stack.start()
    assert "exited" in str(err.value) and "no-such-bug" in str(err.value)
    assert stack.postgres.child is not None and stack.rabbit.child is not None
    assert started and not sorted(p for p in started if pid_alive(p))


def test_endpoints_round_trip_through_json() -> None:
    e = Endpoints(orders_api_url="http://127.0.0.1:1", orders_direct_url="http://127.0.0.1:2",
                  gateway_url="http://127.0.0.1:3", kitchen_url="http://127.0.0.1:4", toxiproxy_url="http://127.0.0.1:5",
                  orders_dsn="postgresql://u@127.0.0.1:6/orders", gateway_dsn="postgresql://u@127.0.0.1:6/gateway",
                  kitchen_dsn="postgresql://u@127.0.0.1:6/kitchen", amqp_url="amqp://guest:guest@127.0.0.1:7/",
                  proxy_ports={"diner_edge": 8}, rabbit=RabbitControl("n@localhost", 9, "/x/.erlang.cookie"),
                  menu_path="/x/menu.json", run_dir="/x")
    import json
    assert Endpoints.from_json(json.loads(json.dumps(e.to_json()))) == e


def test_missing_menu_file_is_a_one_line_setup_error(tmp_path: Path) -> None:
    with pytest.raises(SetupError, match="menu file .* not found"):
        LocalStack(tmp_path / "run", StackOptions(menu=tmp_path / "nope.json")).start()


class _Part:
    """A fake infra part counting its stops; the first stop can be cut short like a signal would."""

    def __init__(self, interrupt_first: bool = False) -> None:
        self.stops = 0
        self.interrupt_first = interrupt_first

    def stop(self) -> None:
        self.stops += 1
        if self.interrupt_first and self.stops == 1:
            raise KeyboardInterrupt


def test_stop_cut_short_by_a_signal_finishes_on_the_next_call(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path)
    tox, rabbit, pg = _Part(interrupt_first=True), _Part(), _Part()
    stack.toxiproxy, stack.rabbit, stack.postgres = tox, rabbit, pg
    with pytest.raises(KeyboardInterrupt):
        stack.stop()
    assert (tox.stops, rabbit.stops, pg.stops) == (1, 0, 0)
    stack.stop()
    assert (tox.stops, rabbit.stops, pg.stops) == (2, 1, 1)
    stack.stop()
    assert (tox.stops, rabbit.stops, pg.stops) == (2, 1, 1)


@pytest.mark.slow
def test_direct_wiring_skips_every_proxy_and_still_serves_an_order(run_dir: Path) -> None:
    """The benchmark's direct wiring: each service dials the real port of its upstream, diners the orders API."""
    with LocalStack(run_dir, StackOptions(direct=True)) as stack:
        e = stack.endpoints
        assert e is not None
        real = {"orders_db": stack.postgres.port, "gateway_db": stack.postgres.port,
                "kitchen_db": stack.postgres.port, "payment_gateway": _port_of(e.gateway_url),
                "payment_notify": _port_of(e.orders_direct_url), "kitchen_publish": stack.rabbit.amqp_port,
                "kitchen_consume": stack.rabbit.amqp_port}
        assert e.orders_api_url == e.orders_direct_url
        argv = {name: " ".join(_argv(child.pid)) for name, child in stack.services.items()}
        for name, port in e.proxy_ports.items():
            assert all(f":{port}/" not in a and not a.endswith(f":{port}") for a in argv.values()), name
        assert f":{real['orders_db']}/orders" in argv["orders"] and f":{real['payment_gateway']}" in argv["orders"]
        assert f":{real['kitchen_publish']}/" in argv["relay"] and f":{real['orders_db']}/orders" in argv["relay"]
        assert f":{real['payment_notify']}/payments/notify" in argv["gateway"]
        assert f":{real['kitchen_consume']}/" in argv["kitchen"] and f":{real['kitchen_db']}/kitchen" in argv["kitchen"]
        assert probe(e.orders_api_url, e.kitchen_url, timeout=20).order_id


def test_free_ports_are_bindable_and_below_the_ephemeral_range():
    """A port chosen now and bound later by a child must not come from the range outgoing connections draw from."""
    import socket

    from harness.runtime.procs import _ephemeral_low, free_port

    for _ in range(20):
        port = free_port()
        assert 1024 <= port < _ephemeral_low()
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
