from auditbuild import PLACED, History, counts, refs

from harness.audit import System, Verdict


def test_single_rows_are_valid():
    assert History().paid("k1").paid("k2").check("duplicated").verdict is Verdict.VALID


def test_two_orders_for_one_intent():
    h = History().paid("k1").order("o1-retry", "k1", PLACED)
    r = h.check("duplicated")
    assert r.verdict is Verdict.INVALID and counts(r) == {"orders": 1}
    assert refs(r) == ["k1"] and "o1, o1-retry" in r.examples[0].why


def test_two_orders_with_a_key_nobody_sent_are_still_duplicates():
    h = History().order("x1", "stray", PLACED).order("x2", "stray", PLACED)
    assert counts(h.check("duplicated")) == {"orders": 1}


def test_two_captured_charges_for_one_order():
    r = History().paid("k1").charge("o1", cid="ch-again").check("duplicated")
    assert counts(r) == {"charges": 1} and refs(r, System.CHARGES) == ["o1"]
    assert "ch-again" in r.examples[0].why


def test_declined_charges_never_count_as_duplicates():
    h = History().paid("k1").charge("o1", status="declined").charge("o1", status="declined")
    assert h.check("duplicated").verdict is Verdict.VALID


def test_one_order_shown_twice_on_the_kds():
    r = History().paid("k1").ticket("o1").check("duplicated")
    assert counts(r) == {"tickets": 1} and refs(r) == ["o1"]


def test_redeliveries_are_a_figure_not_a_duplicate():
    h = History().intent("k1").order("o1", "k1").charge("o1").ticket("o1", deliveries=4)
    assert h.check("duplicated").verdict is Verdict.VALID
