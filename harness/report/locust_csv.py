"""Locust's `*_stats_history.csv`, parsed with the csv module (no pandas).

Locust writes one row per second: per request name only with `--csv-full-history` (in-process:
StatsCSVFile(..., full_history=True)), always an `Aggregated` row. With full history the percentile
columns cover Locust's rolling window (the last ~10 s); without it they are cumulative since the start.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

AGGREGATED = "Aggregated"
AVG = "Total Average Response Time"


@dataclass(frozen=True)
class HistoryRow:
    t: float                                             # epoch seconds
    users: int
    method: str
    name: str
    rps: float                                           # Locust's current (rolling) requests/s
    fps: float                                           # failures/s
    percentiles: tuple[tuple[float, float | None], ...]  # (quantile 0..1, ms); None when no request yet
    total_requests: int                                  # cumulative
    total_failures: int                                  # cumulative
    total_avg_ms: float = 0.0                            # cumulative mean response time (0 if not in the CSV)

    def pct(self, q: float) -> float | None:
        for qq, v in self.percentiles:
            if abs(qq - q) < 1e-9:
                return v
        return None


@dataclass(frozen=True)
class StatsHistory:
    rows: tuple[HistoryRow, ...]

    @property
    def full_history(self) -> bool:
        """True when per-request rows exist (and percentiles are rolling, not cumulative)."""
        return any(r.name != AGGREGATED for r in self.rows)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sorted({r.name for r in self.rows if r.name != AGGREGATED}))

    def series(self, name: str = AGGREGATED) -> tuple[HistoryRow, ...]:
        return tuple(r for r in self.rows if r.name == name)

    @property
    def first_t(self) -> float | None:
        return min((r.t for r in self.rows), default=None)


def _num(v: str) -> float | None:
    v = v.strip()
    return None if v in ("", "N/A") else float(v)


def parse_stats_history(lines: Iterable[str], source: str = "stats history") -> StatsHistory:
    """Parse the CSV text; a malformed row raises ValueError naming the line."""
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        return StatsHistory(())
    col = {h: i for i, h in enumerate(header)}
    need = ("Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s", "Total Request Count",
            "Total Failure Count")
    missing = [h for h in need if h not in col]
    if missing:
        raise ValueError(f"{source}: not a Locust stats history CSV (missing columns: {', '.join(missing)})")
    pcols = [(float(h[:-1]) / 100.0, i) for i, h in enumerate(header) if h.endswith("%")]
    rows = []
    for no, rec in enumerate(reader, 2):
        if not rec:
            continue
        try:
            rows.append(HistoryRow(
                t=float(rec[col["Timestamp"]]), users=int(float(rec[col["User Count"]] or 0)),
                method=rec[col["Type"]], name=rec[col["Name"]],
                rps=_num(rec[col["Requests/s"]]) or 0.0, fps=_num(rec[col["Failures/s"]]) or 0.0,
                percentiles=tuple((q, _num(rec[i])) for q, i in pcols),
                total_requests=int(float(rec[col["Total Request Count"]] or 0)),
                total_failures=int(float(rec[col["Total Failure Count"]] or 0)),
                total_avg_ms=(_num(rec[col[AVG]]) or 0.0) if AVG in col else 0.0,
            ))
        except (ValueError, IndexError) as exc:
            raise ValueError(f"{source} line {no}: {exc}") from exc
    return StatsHistory(tuple(rows))


def read_stats_history(path: Path) -> StatsHistory:
    with open(path, newline="", encoding="utf-8") as fp:
        return parse_stats_history(fp, str(path))


def find_stats_history(run_dir: Path) -> Path | None:
    """The run's `*_stats_history.csv`, if Locust wrote one."""
    found = sorted(Path(run_dir).glob("*_stats_history.csv"))
    return found[0] if found else None
