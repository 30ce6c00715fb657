"""stuck: not settled when the drain ended — orders still PAYMENT_PENDING, and any outbox, kitchen queue or
pending-payment backlog left (FinalReads.backlog).

Decisions:
- every intent settles: an order still PLACED after a pay attempt (whatever the diner was told) is stuck —
  a pay request lost in transit must still end in a final state (the diner's retries, the POS's sync).
  Only the order the diner paid counts: an extra PLACED order of a duplicated intent is `duplicated`'s.
- the backlog's payments_pending counts the same PENDING orders: only the excess over the rows seen is added.
"""
from __future__ import annotations

from harness.audit.checkers._collect import Findings
from harness.audit.index import PAYMENT_PENDING, PLACED, Index
from harness.audit.model import CheckResult, System

NAME = "stuck"


def check(ix: Index) -> CheckResult:
    f = Findings(NAME, ix)
    if ix.reads is None:
        return f.result()
    pending = 0
    for o, e in zip(ix.orders, ix.order_intent):
        if o.status == PAYMENT_PENDING:
            pending += 1
            f.add(System.ORDERS, o.order_id, "still PAYMENT_PENDING after the drain")
        elif o.status == PLACED and e is not None and e.payment is not None and o.order_id == e.order_id:
            f.add(System.ORDERS, o.order_id, f"still PLACED after a pay attempt (payment told {e.payment.value})")
    b = ix.reads.backlog
    if b.outbox_unsent:
        f.add(System.ORDERS, "outbox", f"{b.outbox_unsent} outbox row(s) never sent to the kitchen", b.outbox_unsent)
    if b.payments_pending > pending:
        extra = b.payments_pending - pending
        f.add(System.CHARGES, "payments_pending", f"{b.payments_pending} payment(s) pending at the end of the drain",
              extra)
    if b.queue_messages:
        f.add(System.TICKETS, "kitchen.tickets", f"{b.queue_messages} message(s) left in the kitchen queue",
              b.queue_messages)
    return f.result()
