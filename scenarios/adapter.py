"""The diner half of an adapter (Jepsen's client): how one diner talks to a stack, step by step.

A user writes one `DinerAdapter` subclass per stack. dinerush keeps the retries, timeouts, journeys and the
ledger; each step only makes its request(s) and says what the diner was told: a `Reading` (ok / fail /
unknown with the reason, and whether a retry may help). The audit half lives in harness/records.py.

Loaded by name ("package.module:Class" or "path/to/file.py:Class") inside every Locust process. Nothing here
imports Locust (scenarios/http.py wraps its sessions), so one module may hold both halves of an adapter.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from scenarios.adapters import REFERENCE
from scenarios.data import Intent, Menu
from scenarios.ledger import Told
from scenarios.outcome import Answer, Reading, no_answer_or_5xx
from scenarios.retry import RetryPolicy

if TYPE_CHECKING:
    from scenarios.http import Http

__all__ = ["Answer", "DinerAdapter", "Menu", "Intent", "Reading", "Told", "load_class", "place_retry", "unsure",
           "REFERENCE"]


def unsure(a: Answer) -> Reading | None:
    """The answers that tell a diner nothing for sure, as every adapter should read them: no answer (a timeout,
    a reset: reason names it), a 5xx, or 408/409/425/429 → unknown, retry. None for any other answer.
    (The audit reads the reasons: "http NNN ..." is an answer the stack gave, anything else none.)"""
    return no_answer_or_5xx(a)


class DinerAdapter:
    """Subclass it for your stack. One instance per diner; `http` waits the place timeout, `pay_http` the pay one
    (scenarios.http.Http: `call(method, path, name, json=, headers=)` → Answer(status, body, error); `send` → the
    raw Locust response). `name` is the request's row in Locust's stats: the SLOs judge "place" and "pay".

    Every step returns a `Reading(told, retry, reason, order_id=..., status=...)`: `Told.OK` only for a
    definite yes, `Told.FAIL` only for a definite no (a 4xx that means "never"), else `Told.UNKNOWN` (retry=True
    when sending the same request again is safe and may help: a timeout, a 5xx, a 409/429).
    """

    # Does `place` send the API's own idempotency token (the intent's `key`)? Then dinerush retries a place whose
    # answer was unknown; without one it never retries a place (a retry could order twice).
    idempotent_place: ClassVar[bool] = True
    # Does `kitchen` say whether the kitchen has an order? (dine-in diners then ask now and then)
    has_kitchen: ClassVar[bool] = False

    def __init__(self, http: Http, pay_http: Http, shared: dict) -> None:
        self.http = http
        self.pay_http = pay_http
        self.shared = shared   # one dict per Locust process, for caches the diners of a process may share

    def menu(self) -> Menu | None:
        """The menu (dish ids, names, prices in cents, sold out) or None when there is none to order from."""
        raise NotImplementedError

    def place(self, intent: Intent) -> Reading:
        """Place `intent` (its `key` is the idempotency token; `items` carry dish ids and quantities); an ok
        Reading carries the stack's order id."""
        raise NotImplementedError

    def pay(self, intent: Intent, order_id: str) -> Reading:
        """Pay order `order_id` with `intent.card` ("tok_visa", or "tok_declined": a card meant to be declined)."""
        raise NotImplementedError

    def status(self, order_id: str) -> Reading:
        """Read the order after a payment stayed unknown: ok = paid, fail = payment failed, else unknown."""
        raise NotImplementedError

    def kitchen(self, order_id: str) -> Reading:
        """Optional: ok when the kitchen has the order (only asked when `has_kitchen`)."""
        raise NotImplementedError

    def look(self, order_id: str) -> None:
        """A diner's idle "is my food coming?" read; its answer is not judged (default: `status`)."""
        self.status(order_id)


def place_retry(adapter: type[DinerAdapter] | DinerAdapter, policy: RetryPolicy) -> RetryPolicy:
    """The retry policy of a place: as given, or a single attempt when the place carries no idempotency token."""
    if adapter.idempotent_place:
        return policy
    return RetryPolicy(1, policy.base_seconds, policy.cap_seconds)


def load_class(spec: str, base: type | None = None) -> type:
    """The class named by "package.module:Class" or "path/to/file.py:Class"; a bad name raises ValueError."""
    where, sep, name = spec.rpartition(":")
    if not sep or not where or not name:
        raise ValueError(f"adapter {spec!r}: give MODULE:Class or path/to/file.py:Class")
    try:
        if where.endswith(".py"):
            path = Path(where).resolve()
            mod_name = "dinerush_adapter_" + path.stem
            module = sys.modules.get(mod_name)
            if module is None or getattr(module, "__file__", None) != str(path):
                spec_ = importlib.util.spec_from_file_location(mod_name, path)
                if spec_ is None or spec_.loader is None or not path.exists():
                    raise ValueError(f"adapter file {path} not found")
                module = importlib.util.module_from_spec(spec_)
                sys.modules[mod_name] = module
                spec_.loader.exec_module(module)
        else:
            module = importlib.import_module(where)
    except ImportError as err:
        raise ValueError(f"adapter {spec!r}: cannot import {where} ({err})") from None
    cls = getattr(module, name, None)
    if not isinstance(cls, type):
        raise ValueError(f"adapter {spec!r}: {where} has no class {name}")
    if base is not None and not issubclass(cls, base):
        raise ValueError(f"adapter {spec!r}: {name} must subclass {base.__module__}.{base.__name__}")
    return cls
