"""The steady-state probe: one real order end to end (place → pay → kitchen ticket) before any load or fault."""
from __future__ import annotations

import time
from typing import Callable
import uuid
from dataclasses import dataclass

import httpx

from harness.errors import SetupError


@dataclass(frozen=True)
class ProbeResult:
    order_id: str
    place_s: float
    pay_s: float
    ticket_s: float   # from the pay answer to the ticket showing on the KDS

    def line(self) -> str:
        return (f"probe ok: order {self.order_id} placed in {self.place_s * 1000:.0f} ms, "
                f"paid in {self.pay_s * 1000:.0f} ms, on the KDS {self.ticket_s * 1000:.0f} ms after payment")


def _fail(what: str) -> SetupError:
    return SetupError(f"stack not in steady state: {what}")


def _call(client: httpx.Client, method: str, url: str, what: str, **kw) -> httpx.Response:
    try:
        return client.request(method, url, **kw)
    except httpx.HTTPError as err:
        raise _fail(f"{what}: {type(err).__name__} {err} ({method} {url})") from None


def _first_dish(client: httpx.Client, orders_url: str) -> str:
    r = _call(client, "GET", f"{orders_url}/menu", "reading the menu")
    if r.status_code != 200:
        raise _fail(f"GET /menu answered {r.status_code}: {r.text[:200]}")
    try:
        dishes = [d["id"] for d in r.json()["dishes"] if not d.get("sold_out")]
    except (ValueError, KeyError, TypeError):
        raise _fail(f"GET /menu answered an unexpected body: {r.text[:200]}") from None
    if not dishes:
        raise _fail("the menu has no dish that is not sold out")
    return dishes[0]


def probe(orders_url: str, kitchen_url: str | None, timeout: float = 30.0, poll: float = 0.05,
          transport: httpx.BaseTransport | None = None,
          ticket_shown: Callable[[str], bool] | None = None) -> ProbeResult:
    """Place one order, pay it with tok_visa, wait for its ticket on the KDS; each step within `timeout`.
    `transport` is for tests (an httpx.MockTransport); by default real HTTP. Where the KDS has no
    reachable HTTP port, `ticket_shown(order_id)` answers instead (e.g. a read of the kitchen database)."""
    with httpx.Client(timeout=timeout, transport=transport) as client:
        dish = _first_dish(client, orders_url)
        body = {"channel": "dine_in", "table": "probe", "items": [{"dish_id": dish, "qty": 1}],
                "note": "dinerush steady-state probe", "diner": {"name": "Probe", "phone": "+10000000000"}}
        t0 = time.monotonic()
        r = _call(client, "POST", f"{orders_url}/orders", "placing the probe order", json=body,
                  headers={"Idempotency-Key": f"probe-{uuid.uuid4()}"})
        place_s = time.monotonic() - t0
        if r.status_code != 201:
            raise _fail(f"POST /orders answered {r.status_code}: {r.text[:200]}")
        order_id = r.json().get("order_id")
        if not order_id:
            raise _fail(f"POST /orders answered 201 without an order_id: {r.text[:200]}")
        t0 = time.monotonic()
        r = _call(client, "POST", f"{orders_url}/orders/{order_id}/pay", "paying the probe order",
                  json={"card": "tok_visa"})
        pay_s = time.monotonic() - t0
        if r.status_code != 200 or r.json().get("status") != "PAID":
            raise _fail(f"paying order {order_id} answered {r.status_code}: {r.text[:200]}")
        t0 = time.monotonic()
        deadline = t0 + timeout
        while True:
            if ticket_shown is not None:
                if ticket_shown(order_id):
                    return ProbeResult(order_id, place_s, pay_s, time.monotonic() - t0)
                if time.monotonic() > deadline:
                    raise _fail(f"paid order {order_id} not on the KDS after {timeout:.0f}s")
                time.sleep(poll)
                continue
            r = _call(client, "GET", f"{kitchen_url}/tickets/{order_id}", "reading the KDS")
            if r.status_code == 200:
                return ProbeResult(order_id, place_s, pay_s, time.monotonic() - t0)
            if r.status_code != 404:
                raise _fail(f"GET /tickets/{order_id} answered {r.status_code}: {r.text[:200]}")
            if time.monotonic() > deadline:
                raise _fail(f"paid order {order_id} not on the KDS after {timeout:.0f}s")
            time.sleep(poll)
