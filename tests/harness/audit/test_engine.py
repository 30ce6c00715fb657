from auditbuild import PLACED, History

from harness.audit import CHECKERS, AuditOptions, Index, Verdict, audit


def test_one_table_of_checkers():
    assert list(CHECKERS) == ["lost", "duplicated", "unexpected", "mismatch", "stuck", "refused"]


def test_audit_runs_every_checker_and_sums_up():
    h = History().paid("k1").paid("k2")
    r = audit(h.entries, h.reads)
    assert [c.name for c in r.checks] == list(CHECKERS)
    assert r.verdict is Verdict.VALID and r.intents == 2
    h.order("o2b", "k2", PLACED)
    r = audit(h.entries, h.reads)
    assert r.verdict is Verdict.INVALID and r.check("duplicated").count == 1


def test_no_reads_makes_every_verdict_unknown():
    h = History().paid("k1")
    r = audit(h.entries, None)
    assert r.verdict is Verdict.UNKNOWN and {c.verdict for c in r.checks} == {Verdict.UNKNOWN}
    assert "could not be read" in r.notes[0]


def test_a_ledger_that_repeats_a_key_is_inconclusive():
    h = History().paid("k1").intent("k1")
    r = audit(h.entries, h.reads)
    assert r.verdict is Verdict.UNKNOWN and "repeats 1 key" in r.notes[0]


def test_a_shared_index_gives_the_same_result():
    h = History().paid("k1").intent("k2", payment=None)
    ix = Index.build(h.entries, h.reads, AuditOptions(max_examples=1))
    assert audit(None, None, index=ix) == audit(h.entries, h.reads, options=AuditOptions(max_examples=1))
