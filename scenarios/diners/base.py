"""What every diner kind shares: its RNGs, timeouts, the journey record, and place / pay / read with retries.

A journey is one intent: it is counted as started when its key is minted, and it writes exactly one
ledger entry when it ends — in a `finally`, so a diner stopped or killed mid-journey still records
what it was told so far (anything still in the air is `unknown`).
"""
from __future__ import annotations

from typing import ClassVar

import gevent
from locust.contrib.fasthttp import FastHttpSession, FastHttpUser

from scenarios.adapter import place_retry
from scenarios.http import Http
from scenarios.data import Intent, Menu, derive_rng
from scenarios.journey import Journey
from scenarios.ledger import Told
from scenarios.outcome import Reading
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
        self.menu: Menu | None = None  # the last menu this diner read (takeaway and POS keep it)
        self.adapter = self.dinerush.adapter_class(Http(self.client), Http(self.pay_client), self.dinerush.shared)

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

    # ---- requests: every one goes through the stack's diner adapter ------------------------------------------
    def fetch_menu(self) -> Menu | None:
        menu = self.adapter.menu()
        if menu is not None:
            self.menu = menu
        return menu

    def make_intent(self, menu: Menu, table: str | None = None) -> Intent:
        opts = self.dinerush.options
        return self.dinerush.factory.intent(
            self.rng, key=self.new_key(), kind=self.kind, channel=self.channel, menu=menu, table=table,
            stale_menu_rate=opts.stale_menu_rate, declined_rate=opts.declined_rate)

    def place_once(self, j: Journey) -> Reading:
        j.order_attempts += 1
        return self.adapter.place(j.intent)

    def place(self, j: Journey, policy: RetryPolicy | None = None) -> Reading:
        """Place with retries on the same key (none when the API has no idempotency token); the journey learns
        the last reading."""
        v, _ = retry_loop(lambda n: self.place_once(j), self.place_retry(policy), self.jitter, gevent.sleep)
        j.learnt_order(v)
        return v

    def place_retry(self, policy: RetryPolicy | None = None) -> RetryPolicy:
        """The place policy; a single attempt when the adapter's place carries no idempotency token."""
        return place_retry(self.adapter, policy or self.place_policy)

    def pay_once(self, j: Journey) -> Reading:
        j.pay_tried = True
        j.payment_attempts += 1
        return self.adapter.pay(j.intent, j.order_id)

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
        v, n = retry_loop(lambda n: self.adapter.status(j.order_id), policy, self.jitter, gevent.sleep)
        j.extra["status_reads"] = str(n)
        if v.told is not Told.UNKNOWN:
            v = Reading(v.told, False, f"{first_reason}; then {v.reason}", status=v.status)
        else:
            v = Reading(Told.UNKNOWN, False, f"{first_reason}; {v.reason}", status=v.status)
        j.learnt_payment(v)
        return v

    def ask_kitchen(self, j: Journey) -> None:
        """Ask whether the kitchen has the order: through the adapter's kitchen step when it has one (what the
        diner was told goes into the ledger entry's extra), else an idle status read (not judged)."""
        if self.adapter.has_kitchen:
            j.extra["kitchen"] = self.adapter.kitchen(j.order_id).told.value
        else:
            self.adapter.look(j.order_id)

    def order_and_pay(self, j: Journey) -> None:
        """The common middle of a journey: place, then pay if the order was taken."""
        if self.place(j).told is Told.OK and j.order_id:
            self.pay(j)
