"""probe(): one order end to end against a fake stack (httpx.MockTransport); failures are SetupErrors."""
from __future__ import annotations

import json

import httpx
import pytest

from harness.errors import Exit, SetupError
from harness.probe import ProbeResult, probe

ORDERS = "http://orders.test"
KITCHEN = "http://kitchen.test"
MENU = {"dishes": [{"id": "D08", "name": "Duck", "price_cents": 6800, "sold_out": True},
                   {"id": "D01", "name": "Tofu", "price_cents": 1800, "sold_out": False}]}


def fake_stack(pay_status: int = 200, ticket_after: int = 2, seen: list | None = None):
    polls = {"n": 0}
    seen = seen if seen is not None else []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.path
        if path == "/menu":
            return httpx.Response(200, json=MENU)
        if path == "/orders" and request.method == "POST":
            if not request.headers.get("Idempotency-Key"):
                return httpx.Response(400, json={"detail": "Idempotency-Key required"})
            body = json.loads(request.content)
            assert body["items"] == [{"dish_id": "D01", "qty": 1}]
            return httpx.Response(201, json={"order_id": "o-1", "status": "PLACED", "total_cents": 1800})
        if path == "/orders/o-1/pay":
            assert json.loads(request.content) == {"card": "tok_visa"}
            if pay_status == 200:
                return httpx.Response(200, json={"status": "PAID", "charge_id": "ch_1"})
            return httpx.Response(pay_status, json={"detail": "boom"})
        if path == "/tickets/o-1":
            polls["n"] += 1
            if polls["n"] > ticket_after:
                return httpx.Response(200, json={"order_id": "o-1", "deliveries": 1})
            return httpx.Response(404, json={"detail": "no ticket"})
        return httpx.Response(404)

    return httpx.MockTransport(handle)


def test_probe_places_pays_and_waits_for_the_ticket() -> None:
    seen: list[httpx.Request] = []
    result = probe(ORDERS, KITCHEN, timeout=5, poll=0.001, transport=fake_stack(seen=seen))
    assert isinstance(result, ProbeResult) and result.order_id == "o-1"
    assert min(result.place_s, result.pay_s, result.ticket_s) >= 0
    assert [r.url.path for r in seen].count("/tickets/o-1") == 3
    assert "o-1" in result.line() and result.line().startswith("probe ok")


def test_declined_or_broken_payment_is_not_steady_state() -> None:
    with pytest.raises(SetupError) as err:
        probe(ORDERS, KITCHEN, timeout=5, transport=fake_stack(pay_status=500))
    assert str(err.value).startswith("stack not in steady state: paying order o-1 answered 500")
    assert err.value.exit_code == Exit.INCONCLUSIVE


def test_ticket_that_never_arrives_is_not_steady_state() -> None:
    with pytest.raises(SetupError, match="stack not in steady state: paid order o-1 not on the KDS"):
        probe(ORDERS, KITCHEN, timeout=0.05, poll=0.01, transport=fake_stack(ticket_after=10**9))


def test_unreachable_stack_is_not_steady_state() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(SetupError, match="stack not in steady state: reading the menu: ConnectError"):
        probe(ORDERS, KITCHEN, timeout=1, transport=httpx.MockTransport(refuse))
