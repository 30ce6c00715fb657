import pytest
from reportbuild import T0, history

from harness.errors import UsageError
from harness.report.locust_csv import AGGREGATED, StatsHistory
from harness.report.model import FaultWindow
from harness.report.slo import SLOConfig, SLOStatus, evaluate_slos, weighted_quantile

SLOW_DURING_FAULT = dict(place_ms=lambda t: 2000.0 if 20 <= t <= 30 else 50.0,
                         pay_ms=lambda t: 3000.0 if 20 <= t <= 30 else 80.0)
FAULT = (FaultWindow("weak_network", 20, 30),)


def by_name(results):
    return {r.name: r for r in results}


def test_latency_inside_fault_windows_does_not_count():
    r = by_name(evaluate_slos(SLOConfig(place_p95_ms=100, pay_p95_ms=100), history(**SLOW_DURING_FAULT), FAULT, T0))
    assert r["p95 place latency"].status is SLOStatus.PASS and r["p95 place latency"].measured == 50.0
    assert r["p95 pay latency"].status is SLOStatus.PASS and r["p95 pay latency"].measured == 80.0
    assert "outside fault windows" in r["p95 pay latency"].detail


def test_rows_whose_rolling_window_touches_a_fault_are_excluded():
    # slow until 40 s: still inside Locust's 10 s window after the fault healed at 30 s
    h = history(place_ms=lambda t: 2000.0 if 20 <= t <= 40 else 50.0)
    r = by_name(evaluate_slos(SLOConfig(place_p95_ms=100), h, FAULT, T0))
    assert r["p95 place latency"].status is SLOStatus.PASS
    r = by_name(evaluate_slos(SLOConfig(place_p95_ms=100, window_s=2), h, FAULT, T0))
    assert r["p95 place latency"].status is SLOStatus.FAIL


def test_whole_run_when_not_outside_faults():
    cfg = SLOConfig(place_p95_ms=100, outside_faults=False)
    r = by_name(evaluate_slos(cfg, history(**SLOW_DURING_FAULT), FAULT, T0))
    assert r["p95 place latency"].status is SLOStatus.FAIL and r["p95 place latency"].measured == 2000.0


def test_slow_outside_faults_fails_with_the_measure():
    h = history(pay_ms=lambda t: 900.0 if t > 40 else 80.0)
    r = by_name(evaluate_slos(SLOConfig(pay_p95_ms=500), h, FAULT, T0))["p95 pay latency"]
    assert r.status is SLOStatus.FAIL and r.measured == 900.0 and r.threshold == 500


def test_error_rate_counts_failures_outside_faults_only():
    h = history(fail_at=lambda t: 5 if 22 <= t <= 25 else (1 if t == 50 else 0))
    r = by_name(evaluate_slos(SLOConfig(max_error_rate=0.01), h, FAULT, T0))["error rate"]
    assert r.status is SLOStatus.PASS and 0 < r.measured < 0.01
    r = by_name(evaluate_slos(SLOConfig(max_error_rate=0.0), h, FAULT, T0))["error rate"]
    assert r.status is SLOStatus.FAIL


def test_unknown_when_it_cannot_be_measured():
    h = history()
    agg_only = StatsHistory(tuple(x for x in h.rows if x.name == AGGREGATED))
    r = by_name(evaluate_slos(SLOConfig(), agg_only, (), T0))
    assert r["p95 place latency"].status is SLOStatus.UNKNOWN and "full history" in r["p95 place latency"].detail
    r = by_name(evaluate_slos(SLOConfig(place_request="POST /nope"), h, (), T0))
    assert r["p95 place latency"].status is SLOStatus.UNKNOWN and "place" in r["p95 place latency"].detail
    r = by_name(evaluate_slos(SLOConfig(), h, (FaultWindow("all", 0, None),), T0))
    assert {x.status for x in r.values()} == {SLOStatus.UNKNOWN}
    assert {x.status for x in evaluate_slos(SLOConfig(), None)} == {SLOStatus.UNKNOWN}


def test_started_at_defaults_to_the_first_row():
    r = by_name(evaluate_slos(SLOConfig(place_p95_ms=100), history(**SLOW_DURING_FAULT),
                              (FaultWindow("w", 19, 29),)))
    assert r["p95 place latency"].status is SLOStatus.PASS


def test_weighted_quantile():
    assert weighted_quantile([(10, 1), (20, 1), (30, 98)], 0.95) == 30
    assert weighted_quantile([(10, 96), (1000, 4)], 0.95) == 10
    assert weighted_quantile([], 0.95) is None


def test_config_from_mapping_validates_names_and_values():
    cfg = SLOConfig.from_mapping({"place_p95_ms": 800, "pay_request": "pay", "outside_faults": False})
    assert (cfg.place_p95_ms, cfg.pay_request, cfg.outside_faults) == (800.0, "pay", False)
    with pytest.raises(UsageError, match="unknown SLO setting 'p99'"):
        SLOConfig.from_mapping({"p99": 1})
    with pytest.raises(UsageError, match="max_error_rate"):
        SLOConfig.from_mapping({"max_error_rate": "lots"})
    with pytest.raises(UsageError, match="must be >= 0"):
        SLOConfig.from_mapping({"pay_p95_ms": -1})


def test_failures_a_moment_before_a_faults_stamp_belong_to_the_fault():
    # the fault is live before its apply is confirmed and stamped (20.4 s): the row at 20 s already holds its
    # first failures, which must not count against the quiet time (a correct run was once red for this)
    fault = (FaultWindow("weak_network offline", 20.4, 30),)
    h = history(fail_at=lambda t: 5 if t == 20 else 0)
    r = by_name(evaluate_slos(SLOConfig(max_error_rate=0.0), h, fault, T0))["error rate"]
    assert r.status is SLOStatus.PASS, r.detail
    # one row further from the stamp, they are quiet-time failures again
    far = (FaultWindow("weak_network offline", 21.4, 30),)
    r = by_name(evaluate_slos(SLOConfig(max_error_rate=0.0), h, far, T0))["error rate"]
    assert r.status is SLOStatus.FAIL
