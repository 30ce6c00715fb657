"""What every diner kind shares: its RNGs, timeouts, the journey record, and place / pay / read with retries.

A journey is one intent: it is counted as started when its key is minted, and it writes exactly one
ledger entry when it ends — in a `finally`, so a diner stopped or killed mid-journey still records
what it was told so far (anything still in the air is `unknown`).
"""
from __future__ import annotations

from typing import ClassVar

import gevent
from locust.contrib.fasthttp import FastHttpSession, FastHttpUser, ResponseContextManager
from locust.exception import CatchResponseError

from scenarios.data import Intent, Menu, derive_rng
from scenarios.journey import Journey
from scenarios.ledger import Told
from scenarios.outcome import (Answer, Reading, answer_of, classify_pay, classify_place, classify_status,
                                failure_of, menu_of)
from scenarios.retry import RetryPolicy, backoff_delay, retry_loop
from scenarios.locust_wiring import DinerushRun


class DinerUser(FastHttpUser):
    """Base of the diner kinds (abstract): one user is one phone, tablet or till, journey after journey."""

    abstract = True
    kind: ClassVar[str] = ""
    channel: ClassVar[str] = ""
    place_policy: ClassVar[RetryPolicy] = RetryPolicy(max_attempts=4, base_seconds=0.25, cap_seconds=2.0)
    pay_policy: ClassVar[RetryPolicy] = RetryPolicy(max_attempts=3, base_seconds=0.5, cap_seconds=3.0)
    poll_policy: ClassVar[RetryPolicy] = RetryPolicy(max_attempts=3, base_seconds=0.5, cap_seconds=2.0)
    pay_patience: ClassVar[float] = 1.0   # share of --dinerush-pay-timeout this diner waits for a payment
    polls_payment: ClassVar[bool] = True  # read the order after a payment stays unknown

    def __init__(self, environment) -> None:
        self.dinerush = DinerushRun.of(environment)
        opts = self.dinerush.options
        self.network_timeout = self.connection_timeout = opts.place_timeout
        super().__init__(environment)
        pay_timeout = max(0.1, opts.pay_timeout * self.pay_patience)
        self.pay_client = FastHttpSession(
            self.host, request_event=environment.events.request, user=self,
            network_timeout=pay_timeout, connection_timeout=pay_timeout, max_retries=0, concurrency=self.concurrency)
        self.user_no = self.dinerush.next_user_no()
        ident = (self.dinerush.worker_index, self.kind, self.user_no)
        self.rng = derive_rng(opts.seed, "intents", *ident)    # what the diner orders: reproducible per seed
        self.jitter = derive_rng(opts.seed, "timing", *ident)  # pauses and backoff: separate, so timing never shifts intents
        self.intents = 0
        self.menu: Menu | None = None
        self.menu_raw: bytes | None = None  # the GET /menu answer (raw bytes) `menu` was parsed from

    def wait_time(self) -> float:
        return self.jitter.uniform(0, 2 * self.dinerush.options.think_seconds)

    # ---- the journey record -------------------------------------------------------------------------------
    def new_key(self) -> str:
        self.intents += 1
        return f"{self.dinerush.options.run_id}-{self.dinerush.worker_index}-{self.kind}-{self.user_no}-{self.intents}"

    def begin(self, intent: Intent) -> Journey:
        self.dinerush.intent_started()
        return Journey(intent, worker=self.dinerush.node)

    def finish(self, j: Journey) -> None:
        """Write the journey's one ledger entry (never twice); no greenlet switch happens in here."""
        if j.closed:
            return
        j.closed = True
        self.dinerush.record(j.entry())

    # ---- requests ------------------------------------------------------------------------------------------
    @staticmethod
    def send(session: FastHttpSession, method: str, path: str, name: str, *, body: dict | None = None,
             headers: dict | None = None) -> ResponseContextManager:
        """One request, reported to Locust under `name`: a definite answer (2xx, and 4xx: the stack working
        as specified) is a success, a 5xx or no answer a failure (what the diner then calls unknown).

        Reported here by hand with the response's own request record, instead of a `with ...:` block
        and `resp.success()`/`resp.failure()`: the same event, with less work per request."""
        resp = session.request(method, path, name=name, json=body, headers=headers, catch_response=True)
        failure = failure_of(resp)
        resp.request_meta["exception"] = None if failure is None else CatchResponseError(failure)
        session.request_event.fire(**resp.request_meta)
        return resp

    def call(self, session: FastHttpSession, method: str, path: str, name: str, *, body: dict | None = None,
             headers: dict | None = None) -> Answer:
        """One request (see `send`) as an `Answer` (`send` alone when nobody reads the answer)."""
        return answer_of(self.send(session, method, path, name, body=body, headers=headers))

    def fetch_menu(self) -> Menu | None:
        resp = self.send(self.client, "GET", "/menu", "menu")
        if resp.status_code != 200:
            return None
        raw = resp.content
        if self.menu is not None and raw == self.menu_raw:
            return self.menu  # the same menu again (the usual case): no need to parse it afresh
        seen = self.dinerush.menu_seen
        if seen is not None and raw == seen[0]:
            menu = seen[1]  # another diner of this process parsed this very answer already
        else:
            menu = menu_of(answer_of(resp))
            if menu is None:
                return None
            self.dinerush.menu_seen = (raw, menu)
        self.menu, self.menu_raw = menu, raw
        return menu

    def make_intent(self, menu: Menu, table: str | None = None) -> Intent:
        opts = self.dinerush.options
        return self.dinerush.factory.intent(
            self.rng, key=self.new_key(), kind=self.kind, channel=self.channel, menu=menu, table=table,
            stale_menu_rate=opts.stale_menu_rate, declined_rate=opts.declined_rate)

    def place_once(self, j: Journey, name: str = "place") -> Reading:
        j.order_attempts += 1
        a = self.call(self.client, "POST", "/orders", name, body=j.intent.order_body(),
                      headers={"Idempotency-Key": j.intent.key})
        return classify_place(a)

    def place(self, j: Journey, policy: RetryPolicy | None = None, name: str = "place") -> Reading:
        """POST /orders with retries on the same key; the journey learns the last reading."""
        v, _ = retry_loop(lambda n: self.place_once(j, name), policy or self.place_policy, self.jitter, gevent.sleep)
        j.learnt_order(v)
        return v

    def pay_once(self, j: Journey) -> Reading:
        j.pay_tried = True
        j.payment_attempts += 1
        a = self.call(self.pay_client, "POST", f"/orders/{j.order_id}/pay", "pay", body={"card": j.intent.card})
        return classify_pay(a)

    def pay(self, j: Journey, policy: RetryPolicy | None = None) -> Reading:
        """POST /orders/{id}/pay with retries; if still unknown, read the order a few times to learn the end."""
        j.pay_tried = True
        v, _ = retry_loop(lambda n: self.pay_once(j), policy or self.pay_policy, self.jitter, gevent.sleep)
        j.learnt_payment(v)
        if v.told is Told.UNKNOWN and self.polls_payment and self.dinerush.options.polls > 0:
            v = self.poll_payment(j, first_reason=v.reason)
        return v

    def poll_payment(self, j: Journey, first_reason: str) -> Reading:
        policy = RetryPolicy(self.dinerush.options.polls, self.poll_policy.base_seconds, self.poll_policy.cap_seconds)
        gevent.sleep(backoff_delay(1, policy, self.jitter))
        v, n = retry_loop(lambda n: classify_status(self.call(self.client, "GET", f"/orders/{j.order_id}", "status")),
                          policy, self.jitter, gevent.sleep)
        j.extra["status_reads"] = str(n)
        if v.told is not Told.UNKNOWN:
            v = Reading(v.told, False, f"{first_reason}; then {v.reason}", status=v.status)
        else:
            v = Reading(Told.UNKNOWN, False, f"{first_reason}; {v.reason}", status=v.status)
        j.learnt_payment(v)
        return v

    def order_and_pay(self, j: Journey) -> None:
        """The common middle of a journey: place, then pay if the order was taken."""
        if self.place(j).told is Told.OK and j.order_id:
            self.pay(j)
