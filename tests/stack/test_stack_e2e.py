"""End to end on real processes: the reference stack without defects keeps every promise.

orders API → (Toxiproxy payment_gateway) → gateway → (Toxiproxy payment_notify) → orders API;
outbox relay → RabbitMQ → KDS; each on its own database in one private PostgreSQL.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import httpx
import pytest

from stacktest import ORDER, ORDER_TOTAL, Infra, Service, Stack, new_key, wait_for

pytestmark = pytest.mark.slow


@dataclass
class Clean:
    infra: Infra
    stack: Stack
    orders: Service
    gateway: Service
    kitchen: Service
    gw_proxy: str
    notify_proxy: str


@pytest.fixture(scope="module")
def clean(infra: Infra):
    from harness.runtime.procs import free_port

    stack = Stack(infra, "clean")
    orders_port, gw_port = free_port(), free_port()
    tag = stack.amqp_url.rsplit("/", 1)[1]
    gw_proxy, notify_proxy = f"{tag}-payment_gateway", f"{tag}-payment_notify"
    gw_listen = infra.proxy(gw_proxy, gw_port)
    notify_listen = infra.proxy(notify_proxy, orders_port)
    try:
        gateway = stack.gateway(f"http://127.0.0.1:{notify_listen}/payments/notify", port=gw_port)
        orders = stack.orders(f"http://127.0.0.1:{gw_listen}", port=orders_port)
        stack.relay(orders.dsn)
        kitchen = stack.kitchen()
        yield Clean(infra, stack, orders, gateway, kitchen, gw_proxy, notify_proxy)
    finally:
        stack.stop()


def place(c: Clean, key: str | None, body=ORDER, **kw) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key is not None else {}
    if isinstance(body, (bytes, str)):
        return httpx.post(c.orders.url + "/orders", content=body, headers={**headers, "content-type":
                                                                            "application/json"}, **kw)
    return httpx.post(c.orders.url + "/orders", json=body, headers=headers, **kw)


def orders_with_key(c: Clean, key: str) -> int:
    return c.orders.one("SELECT count(*) FROM orders WHERE idempotency_key = %s", key)


def ticket_rows(svc: Service, order_id: str) -> list[tuple]:
    return svc.rows("SELECT deliveries, received_at, paid_at FROM tickets WHERE order_id = %s", order_id)


def test_health_and_openapi(clean: Clean):
    for svc in (clean.orders, clean.gateway, clean.kitchen):
        assert httpx.get(svc.url + "/health").json() == {"ok": True}
        assert httpx.get(svc.url + "/openapi.json").status_code == 200
    menu = httpx.get(clean.orders.url + "/menu").json()
    assert {"id": "D01", "name": "Mapo tofu", "price_cents": 1800, "sold_out": False} in menu["dishes"]


def test_missing_key_is_400_and_leaves_nothing(clean: Clean):
    before = clean.orders.one("SELECT count(*) FROM orders")
    r = place(clean, None)
    assert r.status_code == 400 and "Idempotency-Key" in r.json()["detail"]
    assert place(clean, "x" * 129).status_code == 400
    assert clean.orders.one("SELECT count(*) FROM orders") == before


def test_replay_returns_the_same_order(clean: Clean):
    key = new_key()
    first = place(clean, key)
    assert first.status_code == 201 and first.json()["total_cents"] == ORDER_TOTAL
    again = place(clean, key, body={**ORDER, "items": list(ORDER["items"])})  # same body, rebuilt
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert orders_with_key(clean, key) == 1


def test_same_key_different_body_is_422(clean: Clean):
    key = new_key()
    assert place(clean, key).status_code == 201
    r = place(clean, key, body={**ORDER, "items": [{"dish_id": "D02", "qty": 1}]})
    assert r.status_code == 422 and "different body" in r.json()["detail"]
    assert orders_with_key(clean, key) == 1


def test_concurrent_duplicates_make_one_order(clean: Clean):
    key = new_key()
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda _: place(clean, key), range(24)))
    codes = {r.status_code for r in answers}
    assert codes <= {201, 409} and 201 in codes
    assert len({r.json()["order_id"] for r in answers if r.status_code == 201}) == 1
    assert orders_with_key(clean, key) == 1


@pytest.mark.parametrize("body, status, words", [
    ({**ORDER, "items": [{"dish_id": "D01", "qty": -1}]}, 422, "qty"),
    ({**ORDER, "items": [{"dish_id": "D01", "qty": 0}]}, 422, "qty"),
    ({**ORDER, "items": [{"dish_id": "D01", "qty": 51}]}, 422, "qty"),
    ({**ORDER, "items": [{"dish_id": "D01", "qty": "2"}]}, 422, "qty"),
    ({**ORDER, "items": [{"dish_id": "D01", "qty": 2.5}]}, 422, "qty"),
    ({**ORDER, "items": [{"dish_id": "NOPE", "qty": 1}]}, 422, "unknown dish"),
    ({**ORDER, "items": [{"dish_id": "D08", "qty": 1}]}, 422, "sold out"),
    ({**ORDER, "items": []}, 422, "items"),
    ({**ORDER, "channel": 5}, 422, "channel"),
    ({**ORDER, "channel": "drone"}, 422, "channel"),
    ({**ORDER, "items": "D01"}, 422, "items"),
    ([ORDER], 422, ""),
    (b"{not json", 422, "JSON"),
    ({**ORDER, "note": "x" * 70_000}, 413, "larger than"),
])
def test_bad_input_is_4xx_and_leaves_nothing(clean: Clean, body, status, words):
    key = new_key("bad")
    r = place(clean, key, body=body)
    assert r.status_code == status, r.text
    assert words.lower() in r.json()["detail"].lower()
    assert orders_with_key(clean, key) == 0
    assert clean.orders.one("SELECT count(*) FROM idempotency_keys WHERE key = %s", key) == 0


def test_one_order_one_charge_one_ticket_and_latency(clean: Clean):
    order = place(clean, new_key()).json()
    oid = order["order_id"]
    paid = httpx.post(f"{clean.orders.url}/orders/{oid}/pay", json={"card": "tok_visa"})
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "PAID" and paid.json()["charge_id"].startswith("ch_")
    again = httpx.post(f"{clean.orders.url}/orders/{oid}/pay", json={"card": "tok_visa"})
    assert again.status_code == 200 and again.json() == paid.json()
    wait_for(lambda: ticket_rows(clean.kitchen, oid), what="the KDS ticket")
    ticket = httpx.get(f"{clean.kitchen.url}/tickets/{oid}").json()
    assert ticket["items"] == order["items"] and ticket["total_cents"] == ORDER_TOTAL and ticket["shown"] == 1
    charges = clean.gateway.rows("SELECT status, amount_cents FROM charges WHERE merchant_ref = %s", oid)
    assert charges == [("captured", ORDER_TOTAL)]
    assert httpx.get(f"{clean.orders.url}/orders/{oid}").json()["status"] == "PAID"
    wait_for(lambda: clean.orders.one("SELECT count(*) FROM outbox WHERE order_id = %s AND sent_at IS NOT NULL",
                                      oid) == 1, what="the outbox row marked sent")
    time.sleep(0.5)  # a late callback must not change anything
    deliveries, received_at, paid_at = ticket_rows(clean.kitchen, oid)[0]
    assert deliveries == 1 and len(ticket_rows(clean.kitchen, oid)) == 1
    assert clean.orders.one("SELECT count(*) FROM outbox WHERE order_id = %s", oid) == 1
    latency_ms = (received_at - paid_at).total_seconds() * 1000
    print(f"\norder→KDS latency (paid_at → ticket received_at) of one probe order: {latency_ms:.1f} ms")


def test_declined_card_is_402_and_no_ticket(clean: Clean):
    oid = place(clean, new_key()).json()["order_id"]
    r = httpx.post(f"{clean.orders.url}/orders/{oid}/pay", json={"card": "tok_declined"})
    assert r.status_code == 402 and r.json() == {"status": "PAYMENT_FAILED"}
    assert clean.orders.one("SELECT count(*) FROM outbox WHERE order_id = %s", oid) == 0
    assert clean.gateway.rows("SELECT status FROM charges WHERE merchant_ref = %s", oid) == [("declined",)]


def test_pay_bad_input(clean: Clean):
    assert httpx.post(f"{clean.orders.url}/orders/nope/pay", json={"card": "tok_visa"}).status_code == 404
    oid = place(clean, new_key()).json()["order_id"]
    for body in ({"card": 5}, {}, {"card": ""}):
        r = httpx.post(f"{clean.orders.url}/orders/{oid}/pay", json=body)
        assert r.status_code == 422, r.text
    assert httpx.get(f"{clean.orders.url}/orders/{oid}").json()["status"] == "PLACED"
    assert httpx.get(f"{clean.orders.url}/orders/nope").status_code == 404


def test_notify_is_idempotent_and_refuses_illegal_moves(clean: Clean):
    oid = place(clean, new_key()).json()["order_id"]
    charge_id = httpx.post(f"{clean.orders.url}/orders/{oid}/pay", json={"card": "tok_visa"}).json()["charge_id"]
    note = {"charge_id": charge_id, "merchant_ref": oid, "status": "captured", "amount_cents": ORDER_TOTAL}
    for _ in range(3):
        r = httpx.post(f"{clean.orders.url}/payments/notify", json=note)
        assert r.status_code == 200 and r.json()["status"] == "PAID"
    r = httpx.post(f"{clean.orders.url}/payments/notify", json={**note, "status": "declined"})
    assert r.status_code == 200 and "refused" in r.json()["note"]
    r = httpx.post(f"{clean.orders.url}/payments/notify", json={**note, "merchant_ref": "nope"})
    assert r.status_code == 200 and "unknown order" in r.json()["note"]
    assert httpx.post(f"{clean.orders.url}/payments/notify", json={**note, "amount_cents": "x"}).status_code == 422
    assert httpx.get(f"{clean.orders.url}/orders/{oid}").json()["status"] == "PAID"
    assert clean.orders.one("SELECT count(*) FROM outbox WHERE order_id = %s", oid) == 1


def test_gateway_idempotency(clean: Clean):
    body = {"merchant_ref": "m-1", "amount_cents": 500, "card": "tok_visa"}
    key = {"Idempotency-Key": new_key("ch")}
    first = httpx.post(clean.gateway.url + "/charges", json=body, headers=key)
    again = httpx.post(clean.gateway.url + "/charges", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert httpx.post(clean.gateway.url + "/charges", json={**body, "amount_cents": 600}, headers=key).status_code == 422
    for bad in ({**body, "amount_cents": -5}, {**body, "amount_cents": "5"}, {"card": "tok_visa"}):
        assert httpx.post(clean.gateway.url + "/charges", json=bad).status_code == 422
    listed = httpx.get(clean.gateway.url + "/charges", params={"merchant_ref": "m-1"}).json()["charges"]
    assert [c["charge_id"] for c in listed] == [first.json()["charge_id"]]


def test_redelivered_ticket_is_shown_once(clean: Clean):
    oid = f"redelivered-{new_key()}"
    msg = {"order_id": oid, "items": [{"dish_id": "D01", "qty": 1, "unit_cents": 1800}], "total_cents": 1800,
           "paid_at": datetime.now().astimezone().isoformat()}
    clean.stack.publish([msg, msg])
    wait_for(lambda: ticket_rows(clean.kitchen, oid) and ticket_rows(clean.kitchen, oid)[0][0] == 2,
             what="the second delivery to be counted")
    assert len(ticket_rows(clean.kitchen, oid)) == 1
    assert httpx.get(f"{clean.kitchen.url}/tickets/{oid}").json()["shown"] == 1


def test_gateway_timeout_is_settled_by_the_reconciler(clean: Clean):
    """Answers are delayed past the client timeout and callbacks are cut: only the reconciler can settle it."""
    oid = place(clean, new_key()).json()["order_id"]
    clean.infra.set_enabled(clean.notify_proxy, False)
    clean.infra.add_latency(clean.gw_proxy, 2500)
    try:
        r = httpx.post(f"{clean.orders.url}/orders/{oid}/pay", json={"card": "tok_visa"}, timeout=10)
        assert r.status_code == 202 and r.json() == {"status": "PAYMENT_PENDING"}
        assert httpx.get(f"{clean.orders.url}/orders/{oid}").json()["status"] == "PAYMENT_PENDING"
    finally:
        clean.infra.remove_latency(clean.gw_proxy)
    try:
        wait_for(lambda: httpx.get(f"{clean.orders.url}/orders/{oid}").json()["status"] == "PAID", timeout=20,
                 what="the reconciler to settle the order")
    finally:
        clean.infra.set_enabled(clean.notify_proxy, True)
    charges = clean.gateway.rows("SELECT status FROM charges WHERE merchant_ref = %s", oid)
    assert charges == [("captured",)]  # the client's retry reused the key: one charge, not two
    wait_for(lambda: ticket_rows(clean.kitchen, oid), what="the KDS ticket")
    assert json.loads(json.dumps(httpx.get(f"{clean.kitchen.url}/tickets/{oid}").json()))["shown"] == 1
