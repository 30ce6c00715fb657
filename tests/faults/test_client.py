"""ToxiproxyClient against a real Toxiproxy server with real TCP traffic (slow), and its strictness
on refused or odd answers (unit, with httpx's mock transport)."""
from __future__ import annotations

import httpx
import pytest
from tcpcheck import exchange

from faults.client import ToxicSpec, ToxiproxyClient
from faults.errors import ToxiproxyBadRequest, ToxiproxyConflict, ToxiproxyError, ToxiproxyNotFound
from harness.runtime.procs import free_port

slow = pytest.mark.slow
LINK = "diner_edge"


@slow
def test_version_and_plain_pass_through(client, links):
    assert client.version()
    out = exchange(links[LINK], 1000)
    assert (out.kind, out.received) == ("ok", 1000)


@slow
def test_latency_adds_at_least_the_configured_delay(client, links):
    client.add_toxic(LINK, ToxicSpec("latency", {"latency": 300}))
    out = exchange(links[LINK])
    assert out.kind == "ok" and out.seconds >= 0.3


@slow
def test_bandwidth_caps_throughput_near_its_rate(client, links):
    rate_kb = 100  # Toxiproxy KB/s = 1000 bytes/s
    client.add_toxic(LINK, ToxicSpec("bandwidth", {"rate": rate_kb}))
    size = 150_000
    out = exchange(links[LINK], size, timeout=20)
    assert out.kind == "ok"
    measured = size / out.seconds / 1000
    assert 0.2 * rate_kb <= measured <= 1.3 * rate_kb, f"{measured:.0f} KB/s through a {rate_kb} KB/s toxic"


@slow
def test_reset_peer_breaks_connections(client, links):
    client.add_toxic(LINK, ToxicSpec("reset_peer", {"timeout": 0}))
    out = exchange(links[LINK], 1000, timeout=5)
    assert out.kind in ("reset", "eof") and out.received == 0


@slow
def test_limit_data_cuts_after_n_bytes(client, links):
    client.add_toxic(LINK, ToxicSpec("limit_data", {"bytes": 1000}))
    out = exchange(links[LINK], 20_000, timeout=5)
    assert out.kind in ("eof", "reset") and out.received <= 1000


@slow
def test_timeout_zero_is_a_black_hole_that_stalls(client, links):
    client.add_toxic(LINK, ToxicSpec("timeout", {"timeout": 0}, stream="upstream"))
    out = exchange(links[LINK], 100, timeout=1.0)
    assert out.kind == "timeout" and out.received == 0


@slow
def test_disabled_proxy_refuses_and_heal_restores_service(client, links):
    client.set_enabled(LINK, False)
    assert exchange(links[LINK]).kind == "refused"
    client.add_toxic(LINK, ToxicSpec("latency", {"latency": 1000}))
    client.set_enabled(LINK, True)
    client.remove_toxic(LINK, "latency_downstream")
    out = exchange(links[LINK], 1000)
    assert out.kind == "ok" and out.seconds < 1.0


@slow
def test_update_toxic_changes_it_in_place(client, links):
    client.add_toxic(LINK, ToxicSpec("latency", {"latency": 10}, name="lat"))
    got = client.update_toxic(LINK, ToxicSpec("latency", {"latency": 250, "jitter": 0}, name="lat"))
    assert got.attributes["latency"] == 250
    assert exchange(links[LINK]).seconds >= 0.25


@slow
def test_refused_changes_raise(client, links):
    with pytest.raises(ToxiproxyBadRequest) as bad:
        client.add_toxic(LINK, ToxicSpec("no_such_toxic"))
    assert bad.value.status == 400 and "no_such_toxic" in str(bad.value)
    client.add_toxic(LINK, ToxicSpec("latency", {"latency": 5}))
    with pytest.raises(ToxiproxyConflict):
        client.add_toxic(LINK, ToxicSpec("latency", {"latency": 5}))
    with pytest.raises(ToxiproxyNotFound):
        client.remove_toxic(LINK, "never_added")
    with pytest.raises(ToxiproxyNotFound):
        client.set_enabled("no_such_proxy", False)
    with pytest.raises(ToxiproxyError):
        client.update_toxic(LINK, ToxicSpec("latency", {"latency": 5}, name="never_added"))


@slow
def test_create_and_delete_proxy(client, echo_port):
    p = client.create_proxy("scratch", "127.0.0.1:0", f"127.0.0.1:{echo_port}", enabled=False)
    assert not p.enabled  # a disabled proxy does not listen: no port yet
    with pytest.raises(ToxiproxyConflict):
        client.create_proxy("scratch", "127.0.0.1:0", f"127.0.0.1:{echo_port}")
    client.delete_proxy("scratch")
    assert "scratch" not in client.proxies()


def test_a_dead_server_raises():
    with ToxiproxyClient(f"http://127.0.0.1:{free_port()}", timeout=1.0) as dead:
        with pytest.raises(ToxiproxyError, match="not answering"):
            dead.reset()
        with pytest.raises(ToxiproxyError):
            dead.add_toxic("x", ToxicSpec("latency", {"latency": 1}))


def _mocked(handler) -> ToxiproxyClient:
    c = ToxiproxyClient("http://toxiproxy.test")
    c._http = httpx.Client(base_url=c.base_url, transport=httpx.MockTransport(handler))
    return c


@pytest.mark.parametrize("status", [403, 500, 503])
def test_every_non_2xx_raises(status):
    c = _mocked(lambda req: httpx.Response(status, json={"error": "nope"}))
    with pytest.raises(ToxiproxyError) as err:
        c.reset()
    assert err.value.status == status


def test_a_change_the_server_did_not_keep_raises():
    """The server says 200 but its state differs: the read-back catches it."""
    def handler(req: httpx.Request) -> httpx.Response:
        if req.method == "POST":
            return httpx.Response(200, json={})
        proxy = {"name": "p", "listen": "127.0.0.1:1", "upstream": "127.0.0.1:2", "enabled": True,
                 "toxics": [{"name": "latency_downstream", "type": "latency", "stream": "downstream",
                             "toxicity": 1, "attributes": {"latency": 1}}]}
        return httpx.Response(200, json={"p": proxy} if req.url.path == "/proxies" else proxy)

    c = _mocked(handler)
    with pytest.raises(ToxiproxyError, match="did not keep"):
        c.add_toxic("p", ToxicSpec("latency", {"latency": 500}))
    with pytest.raises(ToxiproxyError, match="did not keep"):
        c.set_enabled("p", False)
    with pytest.raises(ToxiproxyError, match="did not keep"):
        c.remove_toxic("p", "latency_downstream")
    with pytest.raises(ToxiproxyError, match="did not keep"):
        c.reset()


def test_toxic_spec_defaults_follow_the_server_convention():
    assert ToxicSpec("latency").payload() == {"name": "latency_downstream", "type": "latency",
                                              "stream": "downstream", "toxicity": 1.0, "attributes": {}}
    assert ToxicSpec("timeout", stream="upstream").resolved_name == "timeout_upstream"
