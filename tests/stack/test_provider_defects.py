"""The three payment-provider defects, on real processes (orders API + gateway with its chaos control): each,
switched on, really mishandles what only a misbehaving provider does, and the correct orders API does not."""
from __future__ import annotations

import httpx
import pytest

from harness.runtime.procs import free_port
from harness.targets.gateway_chaos import HttpGatewayControl
from stacktest import ORDER, Infra, Service, Stack, new_key, wait_for

pytestmark = pytest.mark.slow
TOKEN = "t0ken"


def wired(infra: Infra, tag: str, bugs: tuple[str, ...]) -> tuple[Stack, Service, Service, HttpGatewayControl]:
    """An orders API and a gateway calling each other directly; the gateway's chaos control is on."""
    stack = Stack(infra, tag)
    gw_port, orders_port = free_port(), free_port()
    gateway = stack.gateway(f"http://127.0.0.1:{orders_port}/payments/notify", port=gw_port, chaos_token=TOKEN)
    orders = stack.orders(f"http://127.0.0.1:{gw_port}", port=orders_port, bugs=bugs, reconcile_interval=0.2)
    return stack, orders, gateway, HttpGatewayControl(gateway.url, TOKEN)


@pytest.fixture
def pair(request, infra: Infra):
    stack, orders, gateway, control = wired(infra, "provider", tuple(request.param))
    try:
        yield orders, gateway, control
    finally:
        stack.stop()


def placed(orders: Service) -> str:
    return httpx.post(orders.url + "/orders", json=ORDER, headers={"Idempotency-Key": new_key()}).json()["order_id"]


def pay(orders: Service, oid: str) -> httpx.Response:
    return httpx.post(f"{orders.url}/orders/{oid}/pay", json={"card": "tok_visa"}, timeout=15)


def status(orders: Service, oid: str) -> str:
    return orders.one("SELECT status FROM orders WHERE id = %s", oid)


@pytest.mark.parametrize("pair", [(), ("provider-5xx-declines",)], indirect=True, ids=["correct", "defect"])
def test_a_5xx_after_the_capture(pair, request):
    orders, gateway, control = pair
    control.set_chaos(error_rate=1.0, error_when="after")
    oid = placed(orders)
    r = pay(orders, oid)
    control.clear_chaos()
    assert gateway.rows("SELECT status FROM charges WHERE merchant_ref = %s", oid) == [("captured",)]
    if "defect" in request.node.callspec.id:
        assert r.status_code == 402 and status(orders, oid) == "PAYMENT_FAILED"   # charged, told declined
    else:
        assert r.status_code in (200, 202)   # the callback may settle it first; else pending, then reconciled
        wait_for(lambda: status(orders, oid) == "PAID", what="the order to be settled PAID")


@pytest.mark.parametrize("pair", [(), ("soft-decline-retry",)], indirect=True, ids=["correct", "defect"])
def test_a_soft_decline(pair, request):
    orders, gateway, control = pair
    control.set_chaos(decline_rate=1.0)
    oid = placed(orders)
    r = pay(orders, oid)
    assert r.status_code == 402
    if "defect" in request.node.callspec.id:   # a second charge attempt under a new key
        keys = wait_for(lambda: (k := gateway.rows("SELECT idempotency_key FROM charges WHERE merchant_ref = %s",
                                                   oid)) and len(k) == 2 and k, what="the background retry")
        assert sorted(k for k, in keys) == [f"charge-{oid}", f"charge-{oid}-retry"]
    else:
        wait_for(lambda: status(orders, oid) == "PAYMENT_FAILED", what="the order to fail")
        assert gateway.one("SELECT count(*) FROM charges WHERE merchant_ref = %s", oid) == 1
    control.clear_chaos()


@pytest.mark.parametrize("pair", [(), ("notify-latest-wins",)], indirect=True, ids=["correct", "defect"])
def test_a_stale_declined_after_captured(pair, request):
    orders, gateway, control = pair
    control.set_chaos(notify_reorder_rate=1.0, notify_reorder_lag_ms=100)
    oid = placed(orders)
    assert pay(orders, oid).status_code == 200
    control.clear_chaos()
    if "defect" in request.node.callspec.id:
        wait_for(lambda: status(orders, oid) == "PAYMENT_FAILED", what="the stale callback to flip the order")
    else:
        wait_for(lambda: "PAID -> PAYMENT_FAILED refused" in _log(orders), what="the stale callback to be refused")
        assert status(orders, oid) == "PAID"


def _log(svc: Service) -> str:
    return svc.child.log_path.read_text(errors="replace")
