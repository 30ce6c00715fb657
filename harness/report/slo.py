"""SLOs over Locust's stats history, measured outside fault windows, and their evaluation.

How a p95 is measured: each full-history row carries Locust's percentiles over its rolling window (~10 s
before the row). Rows whose window touches no fault window are kept; each contributes its percentile points
weighted by the requests it completed since the previous row, and the p95 of that mixture is the measure.
Error rate = failures / requests over the kept rows (deltas of Locust's cumulative counts, Aggregated row).
The kitchen's p95 (paid → on the KDS) is measured from the final reads, over orders paid and received with no
fault window in between (KitchenLags.outside).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum
from typing import Callable, Mapping, Sequence

import numpy as np

from harness.errors import UsageError
from harness.report.kitchen import KitchenLags
from harness.report.locust_csv import AGGREGATED, HistoryRow, StatsHistory
from harness.report.model import FaultWindow


KITCHEN = "paid → KDS"      # the kitchen SLO's "request": it is read from the databases, not from Locust


class Metric(str, Enum):
    P95_MS = "p95_ms"
    ERROR_RATE = "error_rate"
    KITCHEN_P95_MS = "kitchen_p95_ms"    # from the final reads, not Locust: ticket received - order paid


class SLOStatus(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"   # nothing to measure (no such request, no rows outside faults, no full history)
    NOT_APPLICABLE = "not applicable"   # the target has no system of record to measure it on (no kitchen)


@dataclass(frozen=True)
class SLO:
    name: str
    metric: Metric
    request: str                 # Locust request name, or "Aggregated"
    threshold: float             # the measure must be <= threshold
    outside_faults: bool = True


@dataclass(frozen=True)
class SLOConfig:
    """The configurable SLOs of a run (request names must match the diners' Locust `name=`)."""

    place_p95_ms: float = 1000.0
    pay_p95_ms: float = 2000.0
    max_error_rate: float = 0.01
    kitchen_p95_ms: float = 2000.0         # paid → on the KDS: a paid order on the kitchen screen within 2 s
    place_request: str = "place"           # the diners' Locust request names (scenarios/diners/base.py)
    pay_request: str = "pay"
    outside_faults: bool = True
    window_s: float = 10.0       # Locust's rolling percentile window: a row this close after a fault is excluded

    def slos(self) -> tuple[SLO, ...]:
        return (
            SLO("p95 place latency", Metric.P95_MS, self.place_request, self.place_p95_ms, self.outside_faults),
            SLO("p95 pay latency", Metric.P95_MS, self.pay_request, self.pay_p95_ms, self.outside_faults),
            SLO("error rate", Metric.ERROR_RATE, AGGREGATED, self.max_error_rate, self.outside_faults),
            SLO("p95 paid to kitchen", Metric.KITCHEN_P95_MS, KITCHEN, self.kitchen_p95_ms, self.outside_faults),
        )

    @classmethod
    def from_mapping(cls, d: Mapping[str, object], source: str = "slo config") -> "SLOConfig":
        """From a TOML/YAML table; an unknown key or a bad value is a UsageError naming it."""
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, object] = {}
        for k, v in d.items():
            if k not in known:
                raise UsageError(f"{source}: unknown SLO setting {k!r}; use one of {', '.join(known)}")
            default = getattr(cls(), k)
            try:
                if isinstance(default, bool):
                    if not isinstance(v, bool):
                        raise ValueError("expected true or false")
                    kwargs[k] = v
                elif isinstance(default, float):
                    val = float(v)  # type: ignore[arg-type]
                    if val < 0:
                        raise ValueError("must be >= 0")
                    kwargs[k] = val
                else:
                    if not isinstance(v, str) or not v:
                        raise ValueError("expected a non-empty string")
                    kwargs[k] = v
            except (TypeError, ValueError) as exc:
                raise UsageError(f"{source}: {k} = {v!r}: {exc}") from None
        return cls(**kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class SLOResult:
    name: str
    status: SLOStatus
    measured: float | None
    threshold: float
    unit: str                    # "ms" or "ratio"
    request: str
    detail: str = ""


# A fault is live from the moment Toxiproxy (or the supervisor) acts, but its window opens at the stamp taken
# after the change was confirmed: a row written within this slack before that stamp may already hold the
# fault's first failures (seen: failures 0.1 s before an `offline` window's stamp turned a correct run red).
APPLY_SLACK_S = 1.0


def _kept(rows: Sequence[HistoryRow], faults: Sequence[FaultWindow], t0: float, window_s: float,
          outside: bool) -> list[tuple[HistoryRow, int, int]]:
    """(row, requests, failures) since the previous row, for rows whose window touches no fault (a row up to
    APPLY_SLACK_S before a fault's stamp counts as touching it)."""
    out = []
    prev_req = prev_fail = 0
    for r in sorted(rows, key=lambda r: r.t):
        dreq, dfail = max(0, r.total_requests - prev_req), max(0, r.total_failures - prev_fail)
        prev_req, prev_fail = r.total_requests, r.total_failures
        t = r.t - t0
        if outside and any(w.overlaps(t - window_s, t + APPLY_SLACK_S) for w in faults):
            continue
        out.append((r, dreq, dfail))
    return out


def weighted_quantile(points: Sequence[tuple[float, float]], q: float) -> float | None:
    """q-quantile of (value, weight) points."""
    pts = sorted(p for p in points if p[1] > 0)
    total = sum(w for _, w in pts)
    if total <= 0:
        return None
    acc = 0.0
    for v, w in pts:
        acc += w
        if acc >= q * total - 1e-9:
            return v
    return pts[-1][0]


def _p95(kept: list[tuple[HistoryRow, int, int]]) -> float | None:
    points: list[tuple[float, float]] = []
    for r, dreq, _ in kept:
        if not dreq:
            continue
        prev_q = 0.0
        for q, v in r.percentiles:
            if v is not None:
                points.append((v, (q - prev_q) * dreq))
            prev_q = q
    return weighted_quantile(points, 0.95)


def evaluate_slos(config: SLOConfig | Sequence[SLO], history: StatsHistory | None,
                  faults: Sequence[FaultWindow] = (), started_at: float | None = None,
                  window_s: float | None = None, kitchen: KitchenLags | None = None,
                  kitchen_applicable: bool = True) -> tuple[SLOResult, ...]:
    """Evaluate each SLO; fault windows are in seconds since `started_at` (default: the first CSV row);
    `kitchen`: the paid → KDS lags of the final reads (None: the kitchen SLO cannot be measured);
    `kitchen_applicable` False: the target has no kitchen system of record, the kitchen SLO is not applicable."""
    slos = config.slos() if isinstance(config, SLOConfig) else tuple(config)
    win = window_s if window_s is not None else (config.window_s if isinstance(config, SLOConfig) else 10.0)
    results = []
    for slo in slos:
        unit = "ratio" if slo.metric is Metric.ERROR_RATE else "ms"

        def res(status: SLOStatus, measured: float | None, detail: str) -> SLOResult:
            return SLOResult(slo.name, status, measured, slo.threshold, unit, slo.request, detail)

        if slo.metric is Metric.KITCHEN_P95_MS and not kitchen_applicable:
            results.append(res(SLOStatus.NOT_APPLICABLE, None, "not applicable: the target has no kitchen tickets"))
            continue
        if slo.metric is Metric.KITCHEN_P95_MS:
            t0k = started_at if started_at is not None else (history.first_t if history else None) or 0.0
            results.append(_kitchen_p95(slo, kitchen, faults, t0k, res, win))
            continue
        if history is None or not history.rows:
            results.append(res(SLOStatus.UNKNOWN, None, "no Locust stats history"))
            continue
        t0 = started_at if started_at is not None else history.first_t or 0.0
        rows = history.series(slo.request)
        if slo.metric is Metric.P95_MS and slo.request != AGGREGATED and not history.full_history:
            results.append(res(SLOStatus.UNKNOWN, None, "per-request rows missing: run Locust with full history "
                                                          "(--csv-full-history)"))
            continue
        if not rows:
            names = ", ".join(history.names) or "none"
            results.append(res(SLOStatus.UNKNOWN, None, f"no request named {slo.request!r} (seen: {names})"))
            continue
        kept = _kept(rows, faults, t0, win, slo.outside_faults)
        where = "outside fault windows" if slo.outside_faults else "over the whole run"
        if slo.metric is Metric.P95_MS:
            m = _p95(kept)
            if m is None:
                results.append(res(SLOStatus.UNKNOWN, None, f"no {slo.request} requests {where}"))
                continue
            n = sum(d for _, d, _ in kept)
            ok = m <= slo.threshold
            results.append(res(SLOStatus.PASS if ok else SLOStatus.FAIL, round(m, 1),
                               f"p95 {m:.0f} ms over {n} requests {where} (limit {slo.threshold:.0f} ms)"))
        else:
            n = sum(d for _, d, _ in kept)
            if not n:
                results.append(res(SLOStatus.UNKNOWN, None, f"no requests {where}"))
                continue
            fails = sum(f for _, _, f in kept)
            rate = fails / n
            results.append(res(SLOStatus.PASS if rate <= slo.threshold else SLOStatus.FAIL, round(rate, 5),
                               f"{fails} of {n} requests failed {where} (limit {slo.threshold:.2%})"))
    return tuple(results)


def _kitchen_p95(slo: SLO, lags: KitchenLags | None, faults: Sequence[FaultWindow], t0: float,
                 res: Callable[[SLOStatus, float | None, str], SLOResult], settle_s: float = 0.0) -> SLOResult:
    """p95 of paid → on the KDS over orders paid and received outside fault windows (unknown if there are none)."""
    if lags is None:
        return res(SLOStatus.UNKNOWN, None, "no kitchen tickets read")
    keep = lags.outside(faults, t0, settle_s) if slo.outside_faults else np.ones(lags.paid.shape, dtype=bool)
    where = "paid and received outside fault windows" if slo.outside_faults else "over the whole run"
    values = lags.lag_ms[keep]
    if not values.size:
        return res(SLOStatus.UNKNOWN, None, f"no paid order reached the kitchen {where}")
    m = float(np.percentile(values, 95))
    return res(SLOStatus.PASS if m <= slo.threshold else SLOStatus.FAIL, round(m, 1),
               f"p95 {m:.0f} ms over {values.size} orders {where} (limit {slo.threshold:.0f} ms)")
