from auditbuild import CART, CART_TOTAL, FAILED, UNKNOWN, History, counts, refs

from harness.audit import System, Verdict
from harness.audit.index import same_items
from scenarios.ledger import Item


def test_agreeing_amounts_are_valid():
    assert History().paid("k1").paid("k2", order=UNKNOWN, payment=UNKNOWN).check("mismatch").verdict is Verdict.VALID


def test_order_total_differs_from_the_cart():
    h = History().intent("k1").order("o1", "k1", total=CART_TOTAL + 100).charge("o1", amount=CART_TOTAL + 100) \
        .ticket("o1", total=CART_TOTAL + 100)
    r = h.check("mismatch")
    assert counts(r) == {"orders": 1} and "3400 != cart total 3300" in r.examples[0].why


def test_order_items_differ_with_the_same_total():
    other = (Item("D03", 2, 1200), Item("D02", 1, 900))
    h = History().intent("k1").order("o1", "k1", items=other).charge("o1").ticket("o1", items=other)
    assert counts(h.check("mismatch")) == {"orders": 1}


def test_items_in_another_order_or_split_agree():
    split = (Item("D02", 1, 900), Item("D01", 1, 1200), Item("D01", 1, 1200))
    assert same_items(split, CART)
    h = History().intent("k1").order("o1", "k1", items=split).charge("o1").ticket("o1", items=CART)
    assert h.check("mismatch").verdict is Verdict.VALID


def test_captured_amount_differs_from_the_order():
    r = History().intent("k1").order("o1", "k1").charge("o1", cid="ch1", amount=1).ticket("o1").check("mismatch")
    assert counts(r) == {"charges": 1} and refs(r, System.CHARGES) == ["ch1"]


def test_declined_charge_amount_is_not_compared():
    h = History().intent("k1", payment=None).order("o1", "k1", FAILED).charge("o1", amount=1, status="declined")
    assert h.check("mismatch").verdict is Verdict.VALID


def test_ticket_items_or_total_differ_from_the_order():
    h = History().intent("k1").order("o1", "k1").charge("o1").ticket("o1", items=(Item("D01", 2, 1200),))
    h.intent("k2").order("o2", "k2").charge("o2").ticket("o2", total=1)
    r = h.check("mismatch")
    assert counts(r) == {"tickets": 2} and sorted(refs(r)) == ["o1", "o2"]


def test_order_found_only_by_id_under_another_key():
    h = History().intent("k1", order_id="o1", payment=None).order("o1", "k-other", "PLACED")
    r = h.check("mismatch")
    assert counts(r) == {"orders": 1} and "k-other" in r.examples[0].why


def test_every_row_of_a_duplicated_intent_is_compared_with_the_cart():
    h = History().paid("k1").order("o1b", "k1", "PLACED", total=999)
    r = h.check("mismatch")
    assert counts(r) == {"orders": 1} and refs(r) == ["o1b"]
