"""Each seeded defect, switched on, really changes what the stack does (real processes, one focused test each)."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime

import httpx
import pytest

from harness.runtime.procs import free_port
from stacktest import ORDER, REPO, Infra, Service, Stack, new_key, wait_for

pytestmark = pytest.mark.slow


@dataclass
class SlowGateway:
    """A gateway behind a Toxiproxy proxy (answers can be delayed); its callbacks go nowhere."""

    stack: Stack
    gateway: Service
    proxy: str
    url: str


@pytest.fixture(scope="module")
def slow_gateway(infra: Infra):
    stack = Stack(infra, "defects")
    gw_port = free_port()
    proxy = f"{stack.amqp_url.rsplit('/', 1)[1]}-payment_gateway"
    listen = infra.proxy(proxy, gw_port)
    try:
        gateway = stack.gateway(f"http://127.0.0.1:{free_port()}/payments/notify", port=gw_port)  # nobody there
        yield SlowGateway(stack, gateway, proxy, f"http://127.0.0.1:{listen}")
    finally:
        stack.stop()


@pytest.fixture
def stack(infra: Infra):
    s = Stack(infra, "bug")
    try:
        yield s
    finally:
        s.stop()


def place(orders: Service, key: str) -> httpx.Response:
    return httpx.post(orders.url + "/orders", json=ORDER, headers={"Idempotency-Key": key})


def pay(orders: Service, oid: str) -> httpx.Response:
    return httpx.post(f"{orders.url}/orders/{oid}/pay", json={"card": "tok_visa"}, timeout=15)


@pytest.mark.parametrize("argv", [
    ["stack.orders", "serve", "--port", "1", "--dsn", "x", "--gateway-url", "x"],
    ["stack.orders", "relay", "--dsn", "x", "--amqp-url", "x"],
    ["stack.payments", "serve", "--port", "1", "--dsn", "x", "--notify-url", "x"],
    ["stack.kitchen", "serve", "--port", "1", "--dsn", "x", "--amqp-url", "x"],
])
def test_unknown_bug_name_is_a_one_line_usage_error(argv):
    r = subprocess.run([sys.executable, "-m", *argv, "--bug", "no-idempotency", "--bug", "nope"], cwd=REPO,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 64
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "nope" in lines[0] and "kitchen-auto-ack" in lines[0]


def test_no_idempotency_a_replay_makes_a_second_order(stack: Stack):
    orders = stack.orders("http://127.0.0.1:9", bugs=("no-idempotency",))
    key = new_key()
    first, again = place(orders, key), place(orders, key)
    assert first.status_code == again.status_code == 201
    assert first.json()["order_id"] != again.json()["order_id"]
    assert orders.one("SELECT count(*) FROM orders WHERE idempotency_key = %s", key) == 2


def test_publish_before_commit_skips_the_outbox(stack: Stack):
    gw_port, orders_port = free_port(), free_port()
    stack.gateway(f"http://127.0.0.1:{orders_port}/payments/notify", port=gw_port)
    kitchen = stack.kitchen()
    orders = stack.orders(f"http://127.0.0.1:{gw_port}", port=orders_port, bugs=("publish-before-commit",))
    oid = place(orders, new_key()).json()["order_id"]
    assert pay(orders, oid).status_code == 200
    wait_for(lambda: kitchen.rows("SELECT 1 FROM tickets WHERE order_id = %s", oid), what="the KDS ticket")
    assert orders.one("SELECT count(*) FROM outbox") == 0  # published inline; no relay is even running


def test_charge_without_key_a_retry_is_a_second_charge(stack: Stack, slow_gateway: SlowGateway, infra: Infra):
    orders = stack.orders(slow_gateway.url, bugs=("charge-without-key",), gateway_timeout=0.5)
    oid = place(orders, new_key()).json()["order_id"]
    infra.add_latency(slow_gateway.proxy, 1500)
    try:
        assert pay(orders, oid).status_code == 202  # both attempts timed out
    finally:
        infra.remove_latency(slow_gateway.proxy)
    rows = wait_for(lambda: (r := slow_gateway.gateway.rows(
        "SELECT status, idempotency_key FROM charges WHERE merchant_ref = %s", oid)) and len(r) >= 2 and r,
        what="the retried charge")
    assert [s for s, _ in rows].count("captured") >= 2 and all(k is None for _, k in rows)


def test_no_reconcile_fails_an_order_the_gateway_charged(stack: Stack, slow_gateway: SlowGateway, infra: Infra):
    orders = stack.orders(slow_gateway.url, bugs=("no-reconcile",), gateway_timeout=0.5, reconcile_interval=0.2)
    oid = place(orders, new_key()).json()["order_id"]
    infra.add_latency(slow_gateway.proxy, 1500)
    try:
        r = pay(orders, oid)
    finally:
        infra.remove_latency(slow_gateway.proxy)
    assert r.status_code == 402 and r.json() == {"status": "PAYMENT_FAILED"}
    charges = slow_gateway.gateway.rows("SELECT status FROM charges WHERE merchant_ref = %s", oid)
    assert charges == [("captured",)]  # the diner was charged
    wait_for(lambda: orders.one("SELECT count(*) FROM orders WHERE status = 'PAYMENT_FAILED' AND id = %s", oid),
             what="the order to stay failed")
    assert httpx.get(f"{orders.url}/orders/{oid}").json()["status"] == "PAYMENT_FAILED"


def test_timeout_says_declined_refuses_a_good_card_then_charges_it(stack: Stack, slow_gateway: SlowGateway,
                                                                   infra: Infra):
    orders = stack.orders(slow_gateway.url, bugs=("timeout-says-declined",), gateway_timeout=0.5,
                          reconcile_interval=0.2)
    oid = place(orders, new_key()).json()["order_id"]
    infra.add_latency(slow_gateway.proxy, 1500)
    try:
        r = pay(orders, oid)
    finally:
        infra.remove_latency(slow_gateway.proxy)
    assert r.status_code == 402 and r.json()["status"] == "PAYMENT_FAILED"   # tok_visa told declined
    wait_for(lambda: orders.one("SELECT count(*) FROM orders WHERE status = 'PAID' AND id = %s", oid),
             what="the reconciler to settle the order PAID")
    assert slow_gateway.gateway.rows("SELECT status FROM charges WHERE merchant_ref = %s", oid) == [("captured",)]


def _ticket(oid: str) -> dict:
    return {"order_id": oid, "items": [{"dish_id": "D01", "qty": 1, "unit_cents": 1800}], "total_cents": 1800,
            "paid_at": datetime.now().astimezone().isoformat()}


def test_kitchen_no_dedupe_shows_a_redelivery_twice(stack: Stack):
    kitchen = stack.kitchen(bugs=("kitchen-no-dedupe",))
    oid = f"dup-{new_key()}"
    stack.publish([_ticket(oid), _ticket(oid)])
    wait_for(lambda: kitchen.one("SELECT count(*) FROM tickets WHERE order_id = %s", oid) == 2,
             what="two ticket rows")
    assert httpx.get(f"{kitchen.url}/tickets/{oid}").json()["shown"] == 2


BACKLOG = 3000


def test_kitchen_auto_ack_loses_messages_when_the_kds_dies(infra: Infra):
    manual, auto = Stack(infra, "ack"), Stack(infra, "autoack")
    try:
        stored, queued = _settled_counts(manual, ())
        print(f"\nmanual ack: {stored} stored + {queued} queued of {BACKLOG}")
        assert stored + queued >= BACKLOG  # manual ack: every unstored message went back to the queue
        stored, queued = _settled_counts(auto, ("kitchen-auto-ack",))
        print(f"auto-ack: {stored} stored + {queued} queued of {BACKLOG}")
        assert stored + queued < BACKLOG   # auto-ack: messages handed to the dead consumer are gone
    finally:
        manual.stop()
        auto.stop()


def test_kitchen_write_behind_loses_acked_tickets_when_the_kds_dies(infra: Infra):
    wb = Stack(infra, "writebehind")
    try:
        stored, queued = _settled_counts(wb, ("kitchen-write-behind",))
        print(f"\nwrite-behind: {stored} stored + {queued} queued of {BACKLOG}")
        assert stored + queued < BACKLOG   # acked before written: the unwritten batch died with the process
    finally:
        wb.stop()


def _settled_counts(stack: Stack, bugs: tuple[str, ...]) -> tuple[int, int]:
    """Publish a backlog, start a KDS, SIGKILL it once some tickets landed; (tickets stored, messages left)."""
    stack.publish([_ticket(f"b-{i}") for i in range(BACKLOG)])
    kitchen = stack.kitchen(bugs=bugs)
    wait_for(lambda: kitchen.one("SELECT count(*) FROM tickets") >= 50, what="the first tickets")
    kitchen.child.stop(sig=signal.SIGKILL)
    stored = kitchen.one("SELECT count(DISTINCT order_id) FROM tickets")
    # the broker requeues unacked messages once it sees the connection die: read the depth once it is steady
    last, steady = -1, 0
    while steady < 5:
        depth = stack.queue_total()
        steady, last = (steady + 1 if depth == last else 0), depth
        time.sleep(0.1)
    return stored, last
