"""One step's numbers, cut out of that step's Locust stats history (by timestamp) and its ledger.

The window starts `warmup_s` after the first diner appears and ends when the step's run time is up (or the
diners are gone): spawning and stopping are left out. p95s come from harness.report.slo (the warm-up and
the stop are passed as exclusion windows, so rows whose rolling percentile window touches them are dropped);
rates and the error rate are deltas of Locust's cumulative counts between the window's ends; orders come
from the ledger (one entry per intent, so an impatient diner's double tap counts once).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from harness.report.locust_csv import AGGREGATED, HistoryRow, StatsHistory
from harness.report.model import FaultWindow
from harness.report.slo import SLO, Metric, SLOStatus, evaluate_slos, weighted_quantile
from scenarios.ledger import LedgerEntry, Told

PLACE = "place"     # the diners' Locust request names (scenarios/diners/base.py)
PAY = "pay"
LOCUST_WINDOW_S = 10.0   # Locust's rolling window for the percentiles of a history row


@dataclass(frozen=True)
class StepWindow:
    start: float    # epoch seconds
    end: float

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass(frozen=True)
class WindowStats:
    window: StepWindow
    requests: int
    failures: int
    place_attempts_per_s: float
    place_ok_per_s: float
    p95_place_ms: float | None
    p95_pay_ms: float | None
    p50_place_ms: float | None
    p50_pay_ms: float | None

    @property
    def error_rate(self) -> float | None:
        return self.failures / self.requests if self.requests else None


def step_window(history: StatsHistory, warmup_s: float, step_s: float) -> StepWindow | None:
    """From `warmup_s` after the first row with diners to `step_s` after it (or the last row with diners)."""
    agg = [r for r in history.series(AGGREGATED)]
    busy = [r.t for r in agg if r.users > 0]
    if not busy:
        return None
    t0 = busy[0]
    end = min(t0 + step_s, busy[-1])
    start = t0 + warmup_s
    return StepWindow(start, end) if end > start else None


def _at(rows: Sequence[HistoryRow], t: float) -> HistoryRow | None:
    """The last row at or before t."""
    found = None
    for r in rows:
        if r.t <= t + 1e-6:
            found = r
        else:
            break
    return found


def _delta(rows: Sequence[HistoryRow], w: StepWindow) -> tuple[int, int, float]:
    """(requests, failures, seconds) between the rows at the window's ends (cumulative counts)."""
    rows = sorted(rows, key=lambda r: r.t)
    a, b = _at(rows, w.start), _at(rows, w.end)
    if b is None:
        return 0, 0, 0.0
    a_req, a_fail, a_t = (a.total_requests, a.total_failures, a.t) if a else (0, 0, rows[0].t)
    return max(0, b.total_requests - a_req), max(0, b.total_failures - a_fail), max(0.0, b.t - a_t)


def _quantile(rows: Sequence[HistoryRow], w: StepWindow, pct_window_s: float, q: float) -> float | None:
    """q of a request's latency over rows whose percentile window lies inside w: each row's percentile points
    weighted by the requests it completed (the mixture harness.report.slo uses for p95)."""
    rows = sorted(rows, key=lambda r: r.t)
    points: list[tuple[float, float]] = []
    prev = 0
    for r in rows:
        d, prev = r.total_requests - prev, r.total_requests
        if r.t - pct_window_s < w.start or r.t > w.end or d <= 0:
            continue
        last_q = 0.0
        for qq, v in r.percentiles:
            if v is not None:
                points.append((v, (qq - last_q) * d))
            last_q = qq
    return weighted_quantile(points, q)


def cut(history: StatsHistory, w: StepWindow, pct_window_s: float = LOCUST_WINDOW_S, place: str = PLACE,
        pay: str = PAY) -> WindowStats:
    """The step's request numbers inside window w (`place`/`pay`: the Locust request names)."""
    pct_window_s = min(pct_window_s, max(0.0, w.seconds / 2))   # short steps: accept some warm-up in the tail
    t0 = history.first_t or w.start
    exclude = (FaultWindow("warm-up", -1e9, w.start - t0), FaultWindow("stopping", w.end - t0 + 1e-3, None))
    slos = (SLO("place", Metric.P95_MS, place, 0.0), SLO("pay", Metric.P95_MS, pay, 0.0))
    res = {s.name: s for s in evaluate_slos(slos, history, exclude, started_at=t0, window_s=pct_window_s)}
    p95 = {k: (v.measured if v.status is not SLOStatus.UNKNOWN else None) for k, v in res.items()}
    req, fail, _ = _delta(history.series(AGGREGATED), w)
    place_rows = history.series(place)
    p_req, p_fail, p_s = _delta(place_rows, w) if place_rows else (0, 0, 0.0)
    secs = p_s or w.seconds or 1.0
    return WindowStats(
        window=w, requests=req, failures=fail,
        place_attempts_per_s=p_req / secs, place_ok_per_s=(p_req - p_fail) / secs,
        p95_place_ms=p95["place"], p95_pay_ms=p95["pay"],
        p50_place_ms=_quantile(place_rows, w, pct_window_s, 0.5),
        p50_pay_ms=_quantile(history.series(pay), w, pct_window_s, 0.5),
    )


@dataclass(frozen=True)
class LedgerRates:
    intents: int
    ordered: int
    attempted_per_s: float
    served_per_s: float


def ledger_rates(entries: Iterable[LedgerEntry], w: StepWindow) -> LedgerRates:
    """Intents begun inside w, and those whose order the diner was told is taken, per second."""
    began = [e for e in entries if w.start <= e.started_at < w.end]
    ok = sum(e.order is Told.OK for e in began)
    secs = w.seconds or 1.0
    return LedgerRates(len(began), ok, len(began) / secs, ok / secs)
