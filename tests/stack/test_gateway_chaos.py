"""The simulated provider's chaos control, on real processes: the gateway really errs before or after storing
a charge, declines good cards (recorded as injected), and delivers callbacks late, twice and reordered; the
admin routes are guarded and validate their input. HttpGatewayControl drives the same gateway."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from faults.errors import FaultError
from harness.targets.gateway_chaos import HttpGatewayControl
from stacktest import Infra, Stack, new_key, wait_for

pytestmark = pytest.mark.slow
TOKEN = "s3cret-token"


class Callbacks(ThreadingHTTPServer):
    """Records every callback body the gateway posts, in arrival order."""

    daemon_threads = True

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with lock:
                    outer.bodies.append(body)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    def of(self, charge_id: str) -> list[str]:
        return [b["status"] for b in list(self.bodies) if b["charge_id"] == charge_id]


@pytest.fixture(scope="module")
def provider(infra: Infra):
    calls = Callbacks()
    threading.Thread(target=calls.serve_forever, daemon=True).start()
    stack = Stack(infra, "chaos")
    try:
        gw = stack.gateway(f"http://127.0.0.1:{calls.server_address[1]}/payments/notify", chaos_token=TOKEN)
        control = HttpGatewayControl(gw.url, TOKEN)
        yield gw, control, calls
        control.close()
    finally:
        stack.stop()
        calls.shutdown()


@pytest.fixture
def gw(provider):
    gateway, control, calls = provider
    control.clear_chaos()
    yield provider
    control.clear_chaos()


def charge(url: str, key: str, card: str = "tok_visa") -> httpx.Response:
    return httpx.post(url + "/charges", json={"merchant_ref": key, "amount_cents": 1234, "card": card},
                      headers={"Idempotency-Key": key}, timeout=10)


def test_admin_routes_need_the_token_and_valid_settings(gw):
    gateway, control, _ = gw
    assert httpx.get(gateway.url + "/admin/chaos").status_code == 403
    assert httpx.post(gateway.url + "/admin/chaos", json={"error_rate": 1}, headers={"X-Chaos-Token": "no"}).status_code == 403
    for bad in ({"error_rate": 2}, {"error_when": "later"}, {"decline_rate": "half"}, {"flood": 1}, [1]):
        r = httpx.post(gateway.url + "/admin/chaos", json=bad, headers={"X-Chaos-Token": TOKEN})
        assert r.status_code == 422, (bad, r.text)
    assert control.settings()["error_rate"] == 0   # nothing bad was kept
    assert "/admin/chaos" not in httpx.get(gateway.url + "/openapi.json").text
    with pytest.raises(FaultError, match="refused"):
        HttpGatewayControl(gateway.url, "wrong").set_chaos(error_rate=0.5)


def test_gateway_without_a_token_has_no_chaos_control(infra: Infra):
    stack = Stack(infra, "nochaos")
    try:
        gateway = stack.gateway("http://127.0.0.1:9/payments/notify")
        assert httpx.get(gateway.url + "/admin/chaos", headers={"X-Chaos-Token": ""}).status_code == 404
    finally:
        stack.stop()


def test_5xx_before_stores_nothing(gw):
    gateway, control, _ = gw
    control.set_chaos(error_rate=1.0, error_when="before")
    key = new_key("before")
    assert charge(gateway.url, key).status_code == 503
    assert gateway.one("SELECT count(*) FROM charges WHERE merchant_ref = %s", key) == 0


def test_5xx_after_stores_the_charge_and_a_retry_replays_it_once_healed(gw):
    gateway, control, calls = gw
    control.set_chaos(error_rate=1.0, error_when="after")
    key = new_key("after")
    assert charge(gateway.url, key).status_code == 500
    assert charge(gateway.url, key).status_code == 500   # the replay errs too while the fault lasts
    (cid, status), = gateway.rows("SELECT id, status FROM charges WHERE merchant_ref = %s", key)
    assert status == "captured"
    wait_for(lambda: calls.of(cid) == ["captured"], what="the callback of the stored charge")
    control.clear_chaos()
    r = charge(gateway.url, key)
    assert r.status_code == 201 and r.json()["charge_id"] == cid and r.headers["Idempotent-Replayed"] == "true"


def test_declines_of_good_cards_are_soft_and_recorded_as_injected(gw):
    gateway, control, _ = gw
    control.set_chaos(decline_rate=1.0)
    good, bad = new_key("good"), new_key("bad")
    a, b = charge(gateway.url, good).json(), charge(gateway.url, bad, card="tok_declined").json()
    assert (a["status"], a["decline_code"]) == ("declined", "try_again_later")
    assert (b["status"], b["decline_code"]) == ("declined", "card_declined")
    injected = dict(gateway.rows("SELECT merchant_ref, injected FROM charges WHERE merchant_ref IN (%s, %s)", good, bad))
    assert injected == {good: True, bad: False}
    assert charge(gateway.url, good).json()["decline_code"] == "try_again_later"   # a replay says the same


def test_reorder_sends_a_stale_declined_after_the_captured_callback(gw):
    gateway, control, calls = gw
    control.set_chaos(notify_reorder_rate=1.0, notify_reorder_lag_ms=100)
    cid = charge(gateway.url, new_key("reorder")).json()["charge_id"]
    assert wait_for(lambda: calls.of(cid) if len(calls.of(cid)) == 2 else None,
                    what="two callbacks") == ["captured", "declined"]


def test_duplicate_sends_the_callback_twice(gw):
    gateway, control, calls = gw
    control.set_chaos(notify_duplicate_rate=1.0)
    cid = charge(gateway.url, new_key("dup")).json()["charge_id"]
    assert wait_for(lambda: calls.of(cid) if len(calls.of(cid)) == 2 else None,
                    what="two callbacks") == ["captured", "captured"]


def test_delay_holds_callbacks_back(gw):
    gateway, control, calls = gw
    control.set_chaos(notify_delay_ms=3000)
    late = charge(gateway.url, new_key("late")).json()["charge_id"]
    control.clear_chaos()
    prompt = charge(gateway.url, new_key("prompt")).json()["charge_id"]
    wait_for(lambda: calls.of(late), what="the delayed callback")
    order = [b["charge_id"] for b in calls.bodies if b["charge_id"] in (late, prompt)]
    assert order == [prompt, late]   # charged second, called back first
