"""A wedged fault proxy never wastes a run: a real Toxiproxy server is SIGSTOPped mid-timeline (its API takes
connections but never answers, as when upstream issue 558 wedges it); the bounded call times out, the local
runtime's restart kills it, starts a new server on the same port, recreates the proxies (no toxics survive),
the runner stamps it, and the timeline goes on (slow: real processes)."""
from __future__ import annotations

import dataclasses
import os
import signal

import pytest
from tcpcheck import exchange

from faults.client import ToxiproxyClient
from faults.runner import TimelineRunner
from faults.schedule import parse_schedule
from harness.runtime.local import Endpoints, LocalStack
from harness.runtime.procs import LOOPBACK, free_port, pid_alive
from harness.runtime.toxiproxy import ToxiproxyServer

pytestmark = pytest.mark.slow

TIMELINE = """\
[[fault]]
at = 0
for = 2
use = "weak_network"
preset = "3g"

[[fault]]
at = 3
for = 2
use = "weak_network"
preset = "offline"
"""


@pytest.fixture
def stack(tmp_path, echo_port):
    """A LocalStack holding only its Toxiproxy and one link (diner_edge → an echo server)."""
    server = ToxiproxyServer(tmp_path).start()
    port = free_port()
    upstream = f"{LOOPBACK}:{echo_port}"
    with ToxiproxyClient(server.url) as c:
        c.create_proxy("diner_edge", f"{LOOPBACK}:{port}", upstream)
    blank = {f.name: "" for f in dataclasses.fields(Endpoints)}
    endpoints = Endpoints(**{**blank, "proxy_ports": {"diner_edge": port}, "rabbit": None,
                             "toxiproxy_url": server.url})
    local = LocalStack(tmp_path, toxiproxy=server, endpoints=endpoints, proxy_upstreams={"diner_edge": upstream})
    yield local
    local.toxiproxy.stop(sig=signal.SIGKILL)


def test_sigstopped_toxiproxy_is_restarted_on_its_port_and_the_run_goes_on(stack):
    server = stack.toxiproxy
    first_pid, api_port, link_port = server.child.pid, server.port, stack.endpoints.proxy_ports["diner_edge"]
    with ToxiproxyClient(server.url, timeout=1.0) as client:
        runner = TimelineRunner(client, parse_schedule(TIMELINE, "w.toml"), restart_proxy=stack.restart_toxiproxy)
        runner.step(0.0)
        assert client.proxy("diner_edge").toxics   # 3g applied
        os.kill(first_pid, signal.SIGSTOP)        # the API now takes connections and never answers
        runner.step(2.0)                          # the heal times out → restart → healed
        assert [s.action for s in runner.stamps] == ["apply", "restart", "heal"]
        assert runner.stamps[1].detail.startswith("fault proxy restarted at 2.0 s")
        assert server.child.pid != first_pid and not pid_alive(first_pid) and server.port == api_port
        fresh = client.proxy("diner_edge")
        assert fresh.enabled and not fresh.toxics and fresh.port == link_port
        assert exchange(link_port).kind == "ok"   # traffic flows through the recreated link
        runner.step(3.0)                          # the next fault applies on the fresh server
        assert not client.proxy("diner_edge").enabled
        assert exchange(link_port).kind == "refused"
        runner.heal_all(5.0)
        assert client.proxy("diner_edge").enabled and exchange(link_port).kind == "ok"
