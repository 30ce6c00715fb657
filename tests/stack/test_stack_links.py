"""The relay and the KDS ride out a broker link outage (Toxiproxy proxy down), and every service stops on SIGTERM."""
from __future__ import annotations

import signal
import time

import httpx
import pytest

from harness.runtime.procs import free_port
from stacktest import ORDER, Infra, Stack, new_key, wait_for

pytestmark = pytest.mark.slow


def test_broker_outage_delays_tickets_but_loses_none_and_sigterm_stops_cleanly(infra: Infra):
    stack = Stack(infra, "links")
    try:
        tag = stack.amqp_url.rsplit("/", 1)[1]
        publish, consume = f"{tag}-kitchen_publish", f"{tag}-kitchen_consume"
        publish_port = infra.proxy(publish, infra.rabbit.amqp_port)
        consume_port = infra.proxy(consume, infra.rabbit.amqp_port)
        gw_port, orders_port = free_port(), free_port()
        stack.gateway(f"http://127.0.0.1:{orders_port}/payments/notify", port=gw_port)
        orders = stack.orders(f"http://127.0.0.1:{gw_port}", port=orders_port)
        relay = stack.relay(orders.dsn, amqp_url=stack.amqp_via(publish_port))
        kitchen = stack.kitchen(amqp_url=stack.amqp_via(consume_port))

        infra.set_enabled(publish, False)
        infra.set_enabled(consume, False)
        wait_for(lambda: httpx.get(kitchen.url + "/health").status_code == 503, what="KDS health to see the outage")
        ids = []
        for _ in range(3):
            oid = httpx.post(orders.url + "/orders", json=ORDER, headers={"Idempotency-Key": new_key()}).json()[
                "order_id"]
            assert httpx.post(f"{orders.url}/orders/{oid}/pay", json={"card": "tok_visa"}).status_code == 200
            ids.append(oid)
        time.sleep(1.0)
        assert orders.one("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 3
        assert kitchen.one("SELECT count(*) FROM tickets") == 0
        assert relay.child.alive() and kitchen.child.alive()

        infra.set_enabled(publish, True)
        infra.set_enabled(consume, True)
        wait_for(lambda: kitchen.one("SELECT count(*) FROM tickets WHERE order_id = ANY(%s)", ids) == 3,
                 timeout=30, what="all tickets after the link returned")
        wait_for(lambda: orders.one("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0, what="outbox drained")
        assert kitchen.one("SELECT max(deliveries) FROM tickets") >= 1
        assert httpx.get(kitchen.url + "/health").status_code == 200

        for svc in list(stack.services):
            assert svc.child.stop(timeout=10, sig=signal.SIGTERM) == 0, f"{svc.name}: {svc.child.log_tail()}"
    finally:
        stack.stop()
