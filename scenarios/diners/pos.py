"""Counter POS: rings up orders even while its link is down, queues them with their keys, syncs when it returns.

Each rung-up order is an intent at once (counted started). Syncing walks the queue in order: place,
then pay (card at the counter); a definite answer (ok or fail) ends the intent and writes its entry;
no answer (link down, timeout, 5xx, payment pending) leaves it queued and pauses syncing with backoff.
At stop the till gets one last bounded sync; whatever is still queued is written `unknown`.
"""
from __future__ import annotations

import sys
import time
from collections import deque

from gevent import GreenletExit

from locust import task

from scenarios.diners.base import DinerUser
from scenarios.journey import Journey
from scenarios.ledger import Told
from scenarios.retry import RetryPolicy, backoff_delay

FINAL_SYNC_SECONDS = 10.0
UNSYNCED = "still queued on the POS at stop"


class CounterPOS(DinerUser):
    kind = "pos"
    channel = "pos"
    place_policy = RetryPolicy(max_attempts=2, base_seconds=0.2, cap_seconds=0.5)
    pay_policy = RetryPolicy(max_attempts=2, base_seconds=0.2, cap_seconds=0.5)
    polls_payment = False  # a pending payment stays queued and is paid again at the next sync
    sync_backoff = RetryPolicy(max_attempts=1, base_seconds=0.5, cap_seconds=4.0)

    def on_start(self) -> None:
        self.queue: deque[Journey] = deque()
        self.sync_failures = 0
        self.next_sync_at = 0.0

    @task
    def ring_up(self) -> None:
        menu = self.menu or self.fetch_menu()  # the till keeps its menu; it needs one once
        if menu is None:
            return
        self.queue.append(self.begin(self.make_intent(menu)))
        if time.monotonic() >= self.next_sync_at:
            self.sync()
        for q in self.queue:  # not synced at once: it waited in the till
            q.extra.setdefault("queued", "1")

    def sync(self, deadline: float | None = None) -> None:
        """Advance queued orders in order; stop at the first one without a definite answer."""
        while self.queue and (deadline is None or time.monotonic() < deadline):
            j = self.queue[0]
            if not self.advance(j):
                self.sync_failures += 1
                self.next_sync_at = time.monotonic() + backoff_delay(
                    min(self.sync_failures, 8), self.sync_backoff, self.jitter)
                return
            self.sync_failures = 0
            self.queue.popleft()
            if j.extra.get("queued"):
                j.extra["synced_after_s"] = f"{time.time() - j.started_at:.1f}"
            self.finish(j)

    def advance(self, j: Journey) -> bool:
        """One sync step for one order; True when its outcome is final."""
        if j.order is not Told.OK:
            v = self.place(j)
            if v.told is Told.FAIL:
                return True
            if v.told is not Told.OK or not j.order_id:
                return False
        v = self.pay(j)
        return v.told is not Told.UNKNOWN

    def on_stop(self) -> None:
        """Graceful stop: one last bounded sync; then every order still queued is written `unknown`.

        Locust calls on_stop while handling the stop exception: a kill (GreenletExit) skips the sync.
        """
        killed = isinstance(sys.exc_info()[1], GreenletExit)
        try:
            if getattr(self, "queue", None) and not killed:
                self.next_sync_at = 0.0
                self.sync(deadline=time.monotonic() + FINAL_SYNC_SECONDS)
        finally:
            for j in getattr(self, "queue", ()):
                j.extra["unsynced"] = "1"
                if j.order is not Told.OK:
                    j.order, j.order_reason = Told.UNKNOWN, f"{UNSYNCED} ({j.order_reason or 'never sent'})"
                elif j.pay_tried and j.payment is not Told.OK:
                    j.payment, j.payment_reason = Told.UNKNOWN, f"{UNSYNCED} ({j.payment_reason or 'never sent'})"
                self.finish(j)
            if getattr(self, "queue", None):
                self.queue.clear()
