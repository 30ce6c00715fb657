"""refused: a definite no (`fail`) to an intent that dinerush did not make invalid on purpose — a valid cart
answered 4xx, a good card told declined.

Decisions:
- an intent marked Invalid.STALE_MENU may be refused at the order; Invalid.DECLINED_CARD at the payment.
- "not now" (409, 425, 429, 5xx, timeout, pending) is `unknown` to the diner (scenarios/outcome.py): never here.
- a decline of a good card is not refused when that order has a declined charge the provider fault injected.
- a payment refused after its order was already refused is counted once, at the order.
- payments are judged only with the final reads (an injected decline is read there); a ledger written before
  `invalid` existed still names tok_declined in extra["card"].
"""
from __future__ import annotations

from harness.audit.checkers._collect import Findings
from harness.audit.index import Index
from harness.audit.model import CheckResult, System
from scenarios.ledger import Invalid, Told

NAME = "refused"


def check(ix: Index) -> CheckResult:
    f = Findings(NAME, ix)
    FAIL = Told.FAIL
    for e in ix.entries:
        if e.order is FAIL:
            if Invalid.STALE_MENU not in e.invalid:
                f.add(System.ORDERS, e.key, f"valid cart answered {e.order_reason or 'fail'}")
        elif e.payment is FAIL and ix.reads is not None and Invalid.DECLINED_CARD not in e.invalid:
            card = e.extra.get("card", "tok_visa")
            if card == "tok_declined" or (e.order_id is not None and e.order_id in ix.injected_declines):
                continue
            f.add(f.payments, e.order_id or e.key, f"{card} told declined ({e.payment_reason or 'fail'})")
    return f.result()
