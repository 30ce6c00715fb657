"""Cutting one step's numbers out of a Locust stats history CSV (by timestamp) and the step's ledger."""
from __future__ import annotations

import pytest

from harness.capacity.window import StepWindow, cut, ledger_rates, step_window
from harness.report.locust_csv import parse_stats_history
from scenarios.ledger import Item, LedgerEntry, Told

HEADER = ("Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,"
          "Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,"
          "Total Min Response Time,Total Max Response Time,Total Average Content Size")


def row(t: int, users: int, method: str, name: str, p50: float | None, p95: float | None, total: int, fails: int) -> str:
    def v(x):
        return "N/A" if x is None else f"{x:g}"
    pcts = [v(p50), v(p50), v(p50), v(p50), v(p95), v(p95), v(p95), v(p95), v(p95), v(p95), v(p95)]
    return ",".join([str(t), str(users), method, name, "0", "0", *pcts, str(total), str(fails), "0", "0", "0", "0", "0"])


def sample() -> list[str]:
    """Locust starts at t=100 with no diners; 10 diners from t=101; 10 places/s and 8 pays/s; the first 5 s
    are a cold start (p95 5 s), then p95 place 200 ms / pay 400 ms; from t=120 one place a second fails;
    at t=127 the run time is up and the stopping diners see 9 s answers; at t=131 they are gone."""
    lines = [HEADER, row(100, 0, "", "Aggregated", None, None, 0, 0)]
    place = pay = pfail = 0
    for t in range(101, 132):
        users = 10 if t <= 130 else 0
        place += 10
        pay += 8
        pfail += 1 if t >= 120 else 0
        cold, stopping = t <= 105, t >= 127
        p95_place = 5000 if cold else 9000 if stopping else 200
        p95_pay = 5000 if cold else 9000 if stopping else 400
        lines.append(row(t, users, "POST", "place", 40, p95_place, place, pfail))
        lines.append(row(t, users, "POST", "pay", 80, p95_pay, pay, 0))
        lines.append(row(t, users, "", "Aggregated", 50, max(p95_place, p95_pay), place + pay, pfail))
    return lines


def test_step_window_skips_warm_up_and_stop():
    h = parse_stats_history(sample())
    w = step_window(h, warmup_s=5, step_s=25)
    assert w == StepWindow(106.0, 126.0) and w.seconds == 20


def test_cut_takes_rates_and_p95_from_inside_the_window():
    h = parse_stats_history(sample())
    s = cut(h, step_window(h, warmup_s=5, step_s=25))
    assert s.place_attempts_per_s == pytest.approx(10)
    assert s.place_ok_per_s == pytest.approx(10 - 7 / 20)          # failures at t=120..126 → 7 in (106, 126]
    assert s.requests == 18 * 20 and s.failures == 7
    assert s.error_rate == pytest.approx(7 / 360)
    assert s.p95_place_ms == 200 and s.p95_pay_ms == 400             # cold start and stopping rows left out
    assert s.p50_place_ms == 40 and s.p50_pay_ms == 80


def test_short_steps_still_measure():
    """A 10 s step: the percentile window shrinks so some rows stay in (warm-up may leak into their tail)."""
    h = parse_stats_history(sample())
    w = step_window(h, warmup_s=2, step_s=10)
    assert w == StepWindow(103.0, 111.0)
    s = cut(h, w)
    assert s.p95_place_ms is not None and s.place_attempts_per_s == pytest.approx(10)


def test_no_diners_no_window():
    h = parse_stats_history([HEADER, row(100, 0, "", "Aggregated", None, None, 0, 0)])
    assert step_window(h, 5, 25) is None


def entry(key: str, started: float, told: Told) -> LedgerEntry:
    return LedgerEntry(key=key, kind="dine_in", items=(Item("d1", 1, 500),), expected_total_cents=500, order=told,
                       order_id="o-" + key if told is Told.OK else None, started_at=started, ended_at=started + 1)


def test_ledger_rates_count_intents_begun_inside_the_window():
    entries = [entry("a", 100.0, Told.OK),                # warm-up: out
               entry("b", 106.0, Told.OK), entry("c", 110.5, Told.FAIL), entry("d", 125.9, Told.OK),
               entry("e", 126.0, Told.OK)]                # the window's end: out
    r = ledger_rates(entries, StepWindow(106.0, 126.0))
    assert (r.intents, r.ordered) == (3, 2)
    assert r.attempted_per_s == pytest.approx(3 / 20) and r.served_per_s == pytest.approx(2 / 20)
