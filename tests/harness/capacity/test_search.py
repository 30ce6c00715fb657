"""The capacity search on synthetic step results: no load, no processes."""
from __future__ import annotations

import random
from dataclasses import replace
from typing import Callable

import pytest

from harness.capacity.search import (Limits, OutcomeKind, Peak, SearchPlan, StepResult, bounds, conclude,
                                     demand_per_user, headroom, judge_step, next_step, parse_peak, standing)
from harness.errors import UsageError

LIMITS = Limits(place_p95_ms=1000, pay_p95_ms=2000, max_error_rate=0.01)


def measure(users: int, *, knee_users: float, per_user: float = 1.0, noise: float = 0.0,
            rng: random.Random | None = None, index: int = 0, kind: str = "step") -> StepResult:
    """A stack that serves `per_user` orders/s per diner up to `knee_users`, then saturates and slows down."""
    jitter = (1 + rng.uniform(-noise, noise)) if rng else 1.0
    served = min(users, knee_users) * per_user * jitter
    over = max(0.0, users / knee_users - 1.0)
    p95 = 80 + 4000 * over                     # latency explodes past the knee
    return StepResult(index=index, users=users, kind=kind, window_s=20, attempted_ops=served * 1.02,
                      served_ops=served, p95_place_ms=p95 * jitter, p95_pay_ms=1.5 * p95 * jitter,
                      error_rate=0.0 if over < 0.5 else 0.03)


def run_search(plan: SearchPlan, stack: Callable[[int, int, str], StepResult], limits: Limits = LIMITS):
    raw: list[StepResult] = []
    for _ in range(50):
        judged = [judge_step(r, limits, demand_per_user(raw)) for r in raw]
        nxt = next_step(plan, judged)
        if nxt is None:
            return judged, conclude(judged)
        raw.append(stack(nxt.users, len(raw) + 1, nxt.kind))
    raise AssertionError("the search did not end")


def test_the_ladder_grows_geometrically_by_at_least_a_step():
    assert [SearchPlan().ladder_users(k) for k in range(6)] == [10, 20, 40, 80, 160, 320]
    plan = SearchPlan(start_users=2, step_users=5, growth=1.5)
    assert [plan.ladder_users(k) for k in range(5)] == [2, 7, 12, 18, 27]    # +5 until ×1.5 adds more
    assert [SearchPlan(start_users=10, step_users=10, growth=1.0).ladder_users(k) for k in range(4)] == [10, 20, 30, 40]


def test_located_means_the_midpoint_is_within_ten_percent():
    plan = SearchPlan()
    assert plan.located(100, 122) and not plan.located(100, 123)      # 22/222 ≤ 0.1 < 23/223
    assert plan.located(5, 6) and not plan.located(5, 7)              # one diner apart is as close as it gets
    assert SearchPlan(min_gap_users=8).located(20, 28)


def test_defaults_find_a_knee_far_above_the_first_step():
    """The issue's case: the SLO still held at 100 diners, the top of the old fixed ladder."""
    results, outcome = run_search(SearchPlan(), lambda u, i, k: measure(u, knee_users=130, index=i, kind=k))
    ladder = [r.users for r in results if r.kind == "step"]
    assert ladder == [10, 20, 40, 80, 160, 320]        # 160 (p95 ~1000 ms) fails marginally; 320 confirms it
    lo, hi = bounds(results)
    assert outcome.kind is OutcomeKind.KNEE and SearchPlan().located(lo, hi)
    assert lo <= 130 * (1 + 920 / 4000) < hi          # the p95 place limit (1000 ms) breaks at 159.9 diners
    assert outcome.capacity_ops == pytest.approx(130, rel=0.1)
    assert len(results) <= 6 + 4


def test_bisection_stops_once_located():
    plan = SearchPlan(start_users=10, step_users=10, bisect_rounds=20)
    results, outcome = run_search(plan, lambda u, i, k: measure(u, knee_users=45, index=i, kind=k))
    assert [r.users for r in results if r.kind == "step"] == [10, 20, 40, 80]   # 80: p95 ~3100 ms, clear
    lo, hi = bounds(results)
    assert plan.located(lo, hi)
    bisects = [r.users for r in results if r.kind == "bisect"]
    assert bisects and len(bisects) <= 3                 # 40..80 halves to within ±10% in three rounds
    searched = [r for r in results if r.kind != "confirm"]
    assert not plan.located(*bounds(searched[:-1]))      # the last bisection was still needed
    assert outcome.first_fail is not None and outcome.first_fail.users == hi


def test_bisect_rounds_cap_the_search():
    plan = SearchPlan(start_users=10, step_users=10, bisect_rounds=1)
    results, _ = run_search(plan, lambda u, i, k: measure(u, knee_users=45, index=i, kind=k))
    assert [r.kind for r in results].count("bisect") == 1


def test_clear_failure_stops_the_ladder_early():
    plan = SearchPlan(start_users=10, step_users=10, max_steps=10, bisect_rounds=0)
    results, outcome = run_search(plan, lambda u, i, k: measure(u, knee_users=20, index=i, kind=k))
    assert [r.users for r in results] == [10, 20, 40, 20]    # 40: p95 ~4080 ms, a clear failure → stop
    assert results[2].passed is False and results[2].clear
    assert results[-1].kind == "confirm" and results[-1].passed         # then the knee is confirmed
    assert outcome.kind is OutcomeKind.KNEE and outcome.knee is results[-1]


def test_marginal_failure_gets_a_second_look():
    """A step just over the limit is not final: a noisy blip is followed by a pass and the ladder goes on."""
    blips = {20}

    def stack(u, i, k):
        r = measure(u, knee_users=60, index=i, kind=k)
        return StepResult(**{**r.__dict__, "p95_place_ms": 1100.0}) if u in blips else r

    plan = SearchPlan(start_users=10, step_users=10, max_steps=4, bisect_rounds=1)
    results, outcome = run_search(plan, stack)
    r20 = next(r for r in results if r.users == 20)
    assert r20.passed is False and not r20.clear
    assert [r.users for r in results if r.kind == "step"] == [10, 20, 40, 80]
    assert outcome.kind is OutcomeKind.KNEE and outcome.knee.users in (40, 60)   # the blip below a pass is ignored


@pytest.mark.parametrize("knee", [17, 45, 73, 130, 260])
def test_noisy_stack_lands_near_the_true_knee(knee):
    """With the defaults, ±8% noise per step: every seed finds a knee, and the served rate is near the true one."""
    for seed in range(20):
        rng = random.Random(seed)
        results, outcome = run_search(SearchPlan(), lambda u, i, k: measure(u, knee_users=knee, noise=0.08,
                                                                             rng=rng, index=i, kind=k))
        assert outcome.kind is OutcomeKind.KNEE, (knee, seed)
        assert 0.8 * knee <= outcome.capacity_ops <= 1.1 * knee, (knee, seed, outcome.capacity_ops)
        assert len(results) <= 10 + 4 + 2 * (1 + 4)     # ladder, bisection, two confirmations each reopening it


def test_never_failing_stack_reports_a_lower_bound():
    plan = SearchPlan(start_users=5, step_users=5, max_steps=4, bisect_rounds=2)
    results, outcome = run_search(plan, lambda u, i, k: measure(u, knee_users=1000, index=i, kind=k))
    assert [r.users for r in results] == [5, 10, 20, 40, 40]     # the top, confirmed
    assert outcome.kind is OutcomeKind.NEVER_FAILED and outcome.knee.kind == "confirm"
    assert outcome.capacity_ops == pytest.approx(40)
    assert "never failed" in outcome.sentence() and "≥ 40.0 orders/s" in outcome.sentence()


def test_always_failing_stack_reports_none_passed():
    plan = SearchPlan(start_users=10, step_users=10, max_steps=10, bisect_rounds=2)
    results, outcome = run_search(plan, lambda u, i, k: measure(u, knee_users=2, index=i, kind=k))
    assert len(results) == 1                                   # the lightest step already failed clearly
    assert outcome.kind is OutcomeKind.NONE_PASSED and outcome.knee is None and outcome.capacity_ops is None
    assert outcome.sentence().startswith("none passed")


def test_served_falling_behind_offered_fails_the_step():
    first = StepResult(1, 10, attempted_ops=10.0, served_ops=10.0, p95_place_ms=50, p95_pay_ms=50, error_rate=0)
    slow = StepResult(2, 40, attempted_ops=15.0, served_ops=15.0, p95_place_ms=400, p95_pay_ms=400, error_rate=0)
    per = demand_per_user([first, slow])
    assert per == pytest.approx(1.0)
    j = judge_step(slow, LIMITS, per)
    assert j.offered_ops == pytest.approx(40) and j.passed is False and j.clear
    assert "served 15.0/s < 60% of offered 40.0/s" in j.why[0]


def test_floors_raise_the_latency_limits():
    step = StepResult(1, 10, attempted_ops=1, served_ops=1, p95_place_ms=2400, p95_pay_ms=2600, error_rate=0)
    assert judge_step(step, LIMITS, None).passed is False
    assert judge_step(step, Limits(place_floor_ms=2000, pay_floor_ms=2000), None).passed is True


def test_missing_latency_is_a_clear_failure():
    j = judge_step(StepResult(1, 10, p95_place_ms=None, p95_pay_ms=None, error_rate=None), LIMITS, None)
    assert j.passed is False and j.clear and "no place request finished" in j.why


@pytest.mark.parametrize("text,rate,diners", [
    ("1200", 20.0, None), ("1200/min", 20.0, None), ("20/s", 20.0, None), ("72000/h", 20.0, None),
    ("150diners", None, 150), ("150 diners", None, 150),
])
def test_parse_peak(text, rate, diners):
    p = parse_peak(text)
    assert p.orders_per_s == (pytest.approx(rate) if rate else None) and p.diners == diners


@pytest.mark.parametrize("bad", ["", "abc", "-5", "0", "12/week"])
def test_parse_peak_refuses_bad_input(bad):
    with pytest.raises(UsageError, match="--peak"):
        parse_peak(bad)


def _outcome(served: float, kind: str = "knee"):
    ok = StepResult(1, 10, attempted_ops=served, served_ops=served, p95_place_ms=50, p95_pay_ms=50, error_rate=0)
    results = [judge_step(ok, LIMITS, None)]
    if kind == "knee":
        results.append(judge_step(StepResult(2, 20, p95_place_ms=5000, p95_pay_ms=50, error_rate=0), LIMITS, None))
    return conclude(results)


def test_headroom_sentence():
    h = headroom(_outcome(42.0), Peak(orders_per_s=20.0))
    assert h.ratio == pytest.approx(2.1) and h.enough
    assert h.sentence == "capacity 42.0 orders/s is 2.1× your expected peak of 20.0 orders/s (1200 orders/min)"


def test_headroom_short_and_from_diners():
    out = _outcome(10.0)
    h = headroom(out, parse_peak("40 diners"))   # demand: 10 orders/s over 10 diners = 1 per diner
    assert h.peak_ops == pytest.approx(40) and not h.enough
    assert h.sentence == "capacity 10.0 orders/s is only 0.25× your expected peak of 40.0 orders/s (40 diners): 30.0 orders/s short"


def test_headroom_lower_bound_and_none_passed():
    assert headroom(_outcome(50.0, "never"), Peak(orders_per_s=10)).sentence.startswith(
        "capacity ≥ 50.0 orders/s is ≥ 5.0× your expected peak")
    none = conclude([judge_step(StepResult(1, 10, p95_place_ms=9000, p95_pay_ms=50, error_rate=0), LIMITS, None)])
    h = headroom(none, Peak(orders_per_s=10))
    assert not h.enough and "no load met the SLO" in h.sentence


def test_plan_validation():
    with pytest.raises(UsageError, match="--start-users"):
        SearchPlan(start_users=0)
    with pytest.raises(UsageError, match="growth"):
        SearchPlan(growth=0.5)


# ---- confirming the knee -----------------------------------------------------------------------------------

def _ok(index: int, users: int, served: float, kind: str = "step", p95: float = 100.0) -> StepResult:
    r = StepResult(index, users, kind=kind, window_s=55 if kind == "confirm" else 20, attempted_ops=users * 1.0,
                   served_ops=served, p95_place_ms=p95, p95_pay_ms=p95, error_rate=0.0)
    return judge_step(r, LIMITS, 1.0)


def test_the_latest_confirmation_stands_alone_for_its_load():
    steps = [_ok(1, 10, 10), _ok(2, 20, 20), _ok(3, 20, 19, "confirm", p95=5000), _ok(4, 20, 18, "confirm"),
             _ok(5, 40, 30, p95=5000)]
    assert [r.index for r in standing(steps)] == [1, 4, 5]
    assert bounds(steps) == (20, 40)


def test_a_passing_confirmation_is_the_knee_even_below_a_luckier_short_step():
    steps = [_ok(1, 10, 10), _ok(2, 20, 20), _ok(3, 40, 30, p95=5000), _ok(4, 30, 25, "bisect"),
             _ok(5, 25, 25.5, "bisect"), _ok(6, 30, 24, "confirm")]
    out = conclude(steps)
    assert out.knee is steps[-1] and out.capacity_ops == 24        # not step 5's 25.5 from a 20 s window
    assert "held 55 s to confirm" in out.sentence()
    assert next_step(SearchPlan(), steps) is None                   # confirmed: the search is over


def test_the_search_confirms_the_knee_with_the_defaults():
    results, outcome = run_search(SearchPlan(), lambda u, i, k: measure(u, knee_users=130, index=i, kind=k))
    assert [r.kind for r in results].count("confirm") == 1
    assert results[-1].kind == "confirm" and outcome.knee is results[-1]
    assert results[-1].users == max(r.users for r in results if r.passed and r.kind != "confirm")


def test_a_failed_confirmation_moves_the_knee_down_and_reopens_the_bisection_below():
    """160 passes by a hair in its short step and fails its confirmation: 160 is a failure, the gap 80..160
    below it is bisected afresh and the new knee is confirmed."""
    def stack(u, i, k):
        r = measure(u, knee_users=130, index=i, kind=k)
        if u == 160:
            return replace(r, p95_place_ms=990.0 if k != "confirm" else 1040.0)
        return r

    results, outcome = run_search(SearchPlan(), stack)
    first = next(r for r in results if r.kind == "confirm")
    assert first.users == 160 and first.passed is False
    after = [r for r in results if r.index > first.index]
    assert after and all(80 <= r.users < 160 for r in after)
    assert any(r.kind == "bisect" for r in after) and after[-1].kind == "confirm" and after[-1].passed
    assert outcome.knee is after[-1] and outcome.first_fail.users <= 160
    assert outcome.capacity_ops == pytest.approx(130, rel=0.1)


def test_confirmations_are_bounded_and_can_be_turned_off():
    def never_confirms(u, i, k):
        r = measure(u, knee_users=130, index=i, kind=k)
        return replace(r, p95_place_ms=5000.0) if k == "confirm" else r

    results, outcome = run_search(SearchPlan(confirm_rounds=2), never_confirms)
    assert [r.kind for r in results].count("confirm") == 2
    assert outcome.knee is not None and outcome.knee.kind != "confirm"    # rests on a short step, unconfirmed
    plain, _ = run_search(SearchPlan(confirm_rounds=0), lambda u, i, k: measure(u, knee_users=130, index=i, kind=k))
    assert "confirm" not in [r.kind for r in plain]
    with pytest.raises(UsageError, match="--confirm-rounds"):
        SearchPlan(confirm_rounds=-1)


def _drifting(seed: int, knee: float):
    """A stack on a machine whose speed wanders: a step's served rate is off by up to ±15% over a 20 s window and
    by less over a longer one (the spread shrinks with the square root of the window), as measured on the VM."""
    rng = random.Random(seed)

    def stack(u, i, k):
        window = 55.0 if k == "confirm" else 20.0
        speed = 1 + rng.uniform(-0.15, 0.15) * (20.0 / window) ** 0.5
        r = measure(u, knee_users=knee * speed, index=i, kind=k)
        return replace(r, window_s=window)
    return stack


def test_confirming_makes_two_searches_in_a_row_agree_more_often():
    """Over 150 pairs of searches on the drifting machine: pairs within ±10% of each other, with and without
    the confirmation. The model is crude; what it shows is the direction and that confirming does not hurt."""
    def agree(plan: SearchPlan) -> float:
        hits = 0
        for pair in range(150):
            a = run_search(plan, _drifting(2 * pair, 130))[1].capacity_ops
            b = run_search(plan, _drifting(2 * pair + 1, 130))[1].capacity_ops
            hits += abs(a - b) <= 0.1 * (a + b) / 2
        return hits / 150
    without, with_ = agree(SearchPlan(confirm_rounds=0)), agree(SearchPlan())
    assert with_ > without + 0.05, (without, with_)
