"""Impatient: double-taps submit (two concurrent requests, one key) and hammers "pay" on a slow answer.

The two taps run as two greenlets sharing the journey; the stack must answer one order (201 and a
409-then-replay, or the same 201 twice). Two different order ids are recorded (extra.other_order_id)
for the audit to judge. Payments wait only half the pay timeout and retry fast and often.
"""
from __future__ import annotations

import gevent
from locust import task

from scenarios.diners.base import DinerUser
from scenarios.ledger import Told
from scenarios.outcome import Reading, merge_taps
from scenarios.retry import RetryPolicy, retry_loop


class Impatient(DinerUser):
    kind = "impatient"
    channel = "takeaway"
    place_policy = RetryPolicy(max_attempts=5, base_seconds=0.1, cap_seconds=1.0)
    pay_policy = RetryPolicy(max_attempts=6, base_seconds=0.1, cap_seconds=0.8)
    pay_patience = 0.5

    def tap(self, j) -> Reading:
        v, _ = retry_loop(lambda n: self.place_once(j), self.place_retry(), self.jitter, gevent.sleep)
        return v

    @task
    def order(self) -> None:
        menu = self.menu or self.fetch_menu()
        if menu is None:
            return
        j = self.begin(self.make_intent(menu))
        taps = []
        try:
            taps = [gevent.spawn(self.tap, j), gevent.spawn(self.tap, j)]
            gevent.joinall(taps)
            first, second = (g.value if g.successful() else Reading(Told.UNKNOWN, False, "tap failed") for g in taps)
            for v in (first, second):  # learn both ids, so two orders for one key are on record
                if v.order_id:
                    j.learnt_order(v)
            j.learnt_order(merge_taps(first, second))
            j.extra["taps"] = "2"
            if j.order is Told.OK and j.order_id:
                self.pay(j)
        finally:
            gevent.killall([g for g in taps if not g.dead], block=True)
            self.finish(j)
