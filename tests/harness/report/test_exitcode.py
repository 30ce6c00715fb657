from reportbuild import audit_with, check

from harness.audit import Verdict
from harness.errors import Exit
from harness.report.exitcode import exit_code
from harness.report.slo import SLOResult, SLOStatus


def slo(status: SLOStatus) -> SLOResult:
    return SLOResult("p95 pay latency", status, 1.0, 2.0, "ms", "pay")


VALID = audit_with()
INVALID = audit_with(check("lost", Verdict.INVALID, orders=[("o1", "gone")]))
UNKNOWN = audit_with(check("stuck", Verdict.UNKNOWN))


def test_all_hold():
    assert exit_code(VALID, [slo(SLOStatus.PASS)]) is Exit.OK


def test_invariant_failed_wins_over_everything():
    assert exit_code(INVALID, [slo(SLOStatus.FAIL)], ["a fault did not apply"]) is Exit.INVARIANT


def test_only_an_slo_failed():
    assert exit_code(VALID, [slo(SLOStatus.PASS), slo(SLOStatus.FAIL)]) is Exit.SLO


def test_inconclusive():
    assert exit_code(UNKNOWN, [slo(SLOStatus.PASS)]) is Exit.INCONCLUSIVE
    assert exit_code(VALID, [], ["no steady state"]) is Exit.INCONCLUSIVE
    assert exit_code(VALID, [slo(SLOStatus.UNKNOWN)]) is Exit.INCONCLUSIVE
    assert exit_code(None, []) is Exit.INCONCLUSIVE
    assert exit_code(UNKNOWN, [slo(SLOStatus.FAIL)]) is Exit.INCONCLUSIVE


def test_a_ledger_known_incomplete_is_inconclusive_never_a_stack_failure():
    # False green/red of issue 11: a run whose ledger lost a worker ended with exit 1, blamed on the stack.
    lost_worker = ["ledger not whole: 900 intents started, 850 written"]
    assert exit_code(INVALID, [slo(SLOStatus.FAIL)], lost_worker, lost_worker) is Exit.INCONCLUSIVE
    assert exit_code(VALID, [slo(SLOStatus.PASS)], [], lost_worker) is Exit.INCONCLUSIVE
