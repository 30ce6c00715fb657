"""What a diner was told, from one HTTP answer: ok, a definite fail, or unknown (and whether to retry).

Pure functions over `Answer` (status code, parsed body, transport error), so every rule of the
stack's contract (stack/README.md) is unit-tested without a server.
"""
from __future__ import annotations

import json
import socket
from dataclasses import dataclass

import gevent

from scenarios.data import Menu
from scenarios.ledger import Told

RETRY_4XX = frozenset({408, 409, 425, 429})  # 409: the first request with this key is still in flight


@dataclass(frozen=True)
class Answer:
    status: int | None        # None: no HTTP answer (timeout, reset, refused)
    body: dict | None = None  # the JSON object, if there was one
    error: str | None = None  # transport error, e.g. "timeout" or "ConnectionRefusedError"


@dataclass(frozen=True)
class Reading:
    """What a diner reads from one answer: what it was told, whether to retry, and why (not the audit's Verdict)."""

    told: Told
    retry: bool
    reason: str
    order_id: str | None = None
    status: str | None = None   # the order status the answer carried (PAID, PAYMENT_PENDING, ...)


_JSON = json.JSONDecoder()  # what json.loads uses; stateless


def transport_error(exc: BaseException | None) -> str:
    """A short name for why there was no HTTP answer."""
    if exc is None:
        return "no answer"
    if isinstance(exc, (gevent.Timeout, socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    return type(exc).__name__


def failure_of(resp) -> str | None:
    """What Locust's stats call a response: None (a success) for a definite answer — 2xx, and 4xx: the stack
    working as specified — else the failure, "http 5xx" or why there was no answer (the diner: unknown)."""
    status = resp.status_code
    if not status:
        return transport_error(getattr(resp, "error", None))
    return f"http {status}" if status >= 500 else None


def answer_of(resp) -> Answer:
    """A Locust FastResponse (status_code, content, error) as an `Answer` (status None: no HTTP answer).

    The body is decoded as UTF-8 (what JSON is), skipping `resp.json()`'s charset lookup in the headers."""
    status = resp.status_code or None
    if status is None:
        return Answer(None, None, transport_error(getattr(resp, "error", None)))
    content = resp.content
    if not content:
        return Answer(status)
    try:
        body = _JSON.decode(content.decode())
    except (ValueError, TypeError):  # UnicodeDecodeError is a ValueError
        body = None
    return Answer(status, body if isinstance(body, dict) else None, None)


def menu_of(a: Answer) -> Menu | None:
    """The menu a GET /menu answer carries, if it is one with something to order."""
    if a.status != 200 or a.body is None:
        return None
    try:
        menu = Menu.from_dict(a.body)
    except ValueError:
        return None
    return menu if menu.available() else None


def _detail(body: dict | None) -> str:
    if not body:
        return ""
    d = body.get("detail", body.get("error", body.get("status", "")))
    text = d if isinstance(d, str) else str(d)
    return (": " + text[:120]) if text else ""


def no_answer_or_5xx(a: Answer) -> Reading | None:
    if a.status is None or a.status == 0:
        return Reading(Told.UNKNOWN, True, a.error or "no answer")
    if a.status >= 500:
        return Reading(Told.UNKNOWN, True, f"http {a.status}{_detail(a.body)}")
    if a.status in RETRY_4XX:
        return Reading(Told.UNKNOWN, True, f"http {a.status}{_detail(a.body)}")
    return None


def classify_place(a: Answer) -> Reading:
    """POST /orders: 201/200 with an order id is ok; 400/404/413/422... a definite fail; else retry, unknown."""
    if (v := no_answer_or_5xx(a)) is not None:
        return v
    assert a.status is not None
    if 200 <= a.status < 300:
        oid = (a.body or {}).get("order_id")
        if isinstance(oid, str) and oid:
            return Reading(Told.OK, False, f"http {a.status}", order_id=oid, status=(a.body or {}).get("status"))
        return Reading(Told.UNKNOWN, True, f"http {a.status} without an order id")
    if 400 <= a.status < 500:
        return Reading(Told.FAIL, False, f"http {a.status}{_detail(a.body)}")
    return Reading(Told.UNKNOWN, True, f"unexpected http {a.status}")


def classify_pay(a: Answer) -> Reading:
    """POST /orders/{id}/pay: 200 PAID ok; 402 (declined) and other 4xx fail; 202 PAYMENT_PENDING retry."""
    if (v := no_answer_or_5xx(a)) is not None:
        return v
    assert a.status is not None
    status = (a.body or {}).get("status")
    if a.status == 200 and status == "PAID":
        return Reading(Told.OK, False, "http 200 PAID", status=status)
    if a.status == 202 or status == "PAYMENT_PENDING":
        return Reading(Told.UNKNOWN, True, f"http {a.status} PAYMENT_PENDING", status="PAYMENT_PENDING")
    if a.status == 402 or status == "PAYMENT_FAILED":
        return Reading(Told.FAIL, False, f"http {a.status} PAYMENT_FAILED{_detail(a.body) if a.status != 402 else ''}",
                       status="PAYMENT_FAILED")
    if 400 <= a.status < 500:
        return Reading(Told.FAIL, False, f"http {a.status}{_detail(a.body)}")
    return Reading(Told.UNKNOWN, True, f"unexpected http {a.status} {status or ''}".rstrip())


def classify_status(a: Answer) -> Reading:
    """GET /orders/{id}, read after a payment stayed unknown: PAID ok, PAYMENT_FAILED fail, else still unknown."""
    if (v := no_answer_or_5xx(a)) is not None:
        return v
    status = (a.body or {}).get("status")
    if a.status == 200 and status == "PAID":
        return Reading(Told.OK, False, "read PAID", status=status)
    if a.status == 200 and status == "PAYMENT_FAILED":
        return Reading(Told.FAIL, False, "read PAYMENT_FAILED", status=status)
    return Reading(Told.UNKNOWN, True, f"read http {a.status} {status or ''}".rstrip(), status=status)


def merge_taps(a: Reading, b: Reading) -> Reading:
    """What the diner believes after both taps: any ok wins, then a definite fail, else unknown."""
    for told in (Told.OK, Told.FAIL):
        for v in (a, b):
            if v.told is told:
                return v
    return a
