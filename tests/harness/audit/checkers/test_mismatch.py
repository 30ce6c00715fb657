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


# --- identity (issue 11) ---------------------------------------------------------------------------------------
def test_a_replay_that_hands_a_diner_another_intents_order_is_named():
    # k1 has its own order o1, but the replayed answer told it o2 — the order of intent k2.
    h = History().paid("k1").paid("k2").intent("k3", order_id="o2", payment=None).order("o3", "k3", "PLACED")
    r = h.check("mismatch")
    assert counts(r) == {"orders": 1} and refs(r) == ["o3"]
    assert r.examples[0].why.startswith("identity: diner was handed order o2, which is stored under key k2")


def test_a_diner_handed_another_order_while_its_own_key_holds_none():
    h = History().paid("k2").intent("k3", order_id="o2", payment=None)
    r = h.check("mismatch")
    assert counts(r) == {"orders": 1} and "identity" in r.examples[0].why and "no order carries this key" in \
        r.examples[0].why


def test_a_diner_told_an_order_id_its_key_does_not_hold():
    h = History().intent("k1", order_id="o-told", payment=None).order("o1", "k1", "PLACED")
    r = h.check("mismatch")
    assert counts(r) == {"orders": 1}
    assert r.examples[0].why == "identity: diner was told order o-told, but the order stored under its key is o1"


def test_one_charge_captured_for_two_orders():
    h = History()
    for k in ("k1", "k2"):
        o = "o" + k[1:]
        h.intent(k).order(o, k).charge(o, cid="ch_same").ticket(o)
    r = h.check("mismatch")
    assert counts(r) == {"charges": 1}
    assert r.examples[0].why == "identity: charge ch_same captured for orders o1 and o2"
