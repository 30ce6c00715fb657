"""mismatch: items or amounts differ between the cart (ledger), the order, its captured charges and its ticket.

Decisions:
- items agree when the same dishes at the same unit price add up to the same quantities (any order or split).
- every order row of an intent is compared with the cart; charges and tickets are compared with their order.
- identity: the order id a diner was told must be the order stored under its key; a replay that hands it another
  intent's order (or an id its key does not hold) is a mismatch named "identity: ...".
- a captured charge belongs to exactly one order: one charge id captured for two orders is a mismatch.
"""
from __future__ import annotations

from harness.audit.checkers._collect import Findings
from harness.audit.index import Index, same_items
from harness.audit.model import CheckResult, System

NAME = "mismatch"


def check(ix: Index) -> CheckResult:
    f = Findings(NAME, ix)
    if ix.reads is None:
        return f.result()
    eo = ix.entry_order
    for i, why in ix.cart_diffs().items():
        f.add(System.ORDERS, eo[i].order_id, why)
    for key, rows in ix.order_dups.items():          # the other rows of a duplicated intent
        e = ix.by_key.get(key)
        if e is None:
            continue
        for o in rows:
            if o is ix.order_of(e):
                continue
            if o.total_cents != e.expected_total_cents:
                f.add(System.ORDERS, o.order_id, f"order total {o.total_cents} != cart total {e.expected_total_cents}")
            elif not same_items(o.items, e.items):
                f.add(System.ORDERS, o.order_id, "order items differ from the cart")
    owner: dict[str, str] = {}
    for c in ix.captured_rows:
        first = owner.setdefault(c.charge_id, c.merchant_ref)
        if first != c.merchant_ref:
            f.add(System.CHARGES, c.charge_id, f"identity: charge {c.charge_id} captured for orders {first} "
                                               f"and {c.merchant_ref}")
    for c, o in zip(ix.captured_rows, ix.charge_order):
        if o is not None and c.amount_cents != o.total_cents:
            f.add(System.CHARGES, c.charge_id, f"charged {c.amount_cents} but order {o.order_id} totals {o.total_cents}")
    for oid, why in ix.ticket_diffs().items():
        f.add(System.TICKETS, oid, why)
    return f.result()
