"""Builders for report tests: Locust history rows, a small audit with one violation, run metadata."""
from __future__ import annotations

from harness.audit import AuditResult, CheckResult, Example, System, SystemCount, Verdict
from harness.report.locust_csv import AGGREGATED, HistoryRow, StatsHistory
from harness.report.model import RunMeta

T0 = 1_700_000_000.0
QS = (0.5, 0.66, 0.75, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0)


def row(t: float, name: str, ms: float, total: int, failures: int = 0, spread: float = 1.2,
        avg_ms: float = 0.0) -> HistoryRow:
    """One stats-history row at elapsed t: all percentiles near `ms` (the top ones `spread` times higher);
    `avg_ms` the cumulative mean response time."""
    pcts = tuple((q, ms * (spread if q > 0.95 else 1.0)) for q in QS)
    return HistoryRow(T0 + t, 10, "POST" if name != AGGREGATED else "", name, 10.0, 0.0, pcts, total, failures,
                      avg_ms)


def history(place_ms=lambda t: 50.0, pay_ms=lambda t: 80.0, fail_at=lambda t: 0, seconds: int = 60) -> StatsHistory:
    """One row per second per request name plus Aggregated; 10 place and 5 pay requests a second, each second's
    requests taking place_ms(t) / pay_ms(t) (rolling percentiles and cumulative means alike)."""
    rows = []
    fails = 0
    place_sum = pay_sum = 0.0
    for t in range(1, seconds + 1):
        fails += fail_at(t)
        place_sum += 10 * place_ms(t)
        pay_sum += 5 * pay_ms(t)
        rows.append(row(t, "place", place_ms(t), 10 * t, avg_ms=place_sum / (10 * t)))
        rows.append(row(t, "pay", pay_ms(t), 5 * t, avg_ms=pay_sum / (5 * t)))
        rows.append(row(t, AGGREGATED, max(place_ms(t), pay_ms(t)), 15 * t, fails,
                        avg_ms=(place_sum + pay_sum) / (15 * t)))
    return StatsHistory(tuple(rows))


def meta(**kw) -> RunMeta:
    base = dict(run_id="20261122-120000-ci-gate", profile="ci-gate", started_at=T0, ended_at=T0 + 60, seed=7,
                users=10, bugs=("kitchen-no-dedupe",))
    base.update(kw)
    return RunMeta(**base)


def check(name: str, verdict: Verdict = Verdict.VALID, **per_system: list[tuple[str, str]]) -> CheckResult:
    systems = tuple(SystemCount(s, len(per_system.get(s.value, [])),
                                tuple(Example(s, ref, why) for ref, why in per_system.get(s.value, [])))
                    for s in System)
    return CheckResult(name, verdict, sum(x.count for x in systems), systems,
                       "reads missing" if verdict is Verdict.UNKNOWN else "")


def audit_with(*checks: CheckResult) -> AuditResult:
    names = {c.name for c in checks}
    rest = tuple(check(n) for n in ("lost", "duplicated", "unexpected", "mismatch", "stuck") if n not in names)
    return AuditResult(checks=tuple(checks) + rest, intents=3)
