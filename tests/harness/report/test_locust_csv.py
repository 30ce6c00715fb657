from pathlib import Path

import pytest

from harness.report.locust_csv import AGGREGATED, find_stats_history, parse_stats_history, read_stats_history

SAMPLE = Path(__file__).parent / "data" / "locust_stats_history.csv"   # a real Locust 2.47 --csv-full-history file


def test_reads_a_real_locust_full_history():
    h = read_stats_history(SAMPLE)
    assert h.full_history
    assert h.names == ("pay", "place")
    agg = h.series(AGGREGATED)
    assert len(agg) > 30
    last = agg[-1]
    assert last.total_requests > 0 and last.pct(0.95) is not None and last.pct(0.5) <= last.pct(0.95)
    assert agg[0].pct(0.95) is None          # "N/A" before the first request
    place = h.series("place")
    assert place[0].total_avg_ms == pytest.approx(21.333111718746522)   # the cumulative mean, for recovery


def test_aggregated_only_history_is_not_full():
    text = SAMPLE.read_text().splitlines()
    only = [text[0]] + [line for line in text[1:] if ",Aggregated," in line]
    h = parse_stats_history(only)
    assert not h.full_history and h.names == ()


def test_malformed_row_names_its_line():
    text = SAMPLE.read_text().splitlines()
    broken = text[:3] + ["1795371806,10,GET,place,abc"] + text[3:]
    with pytest.raises(ValueError, match="line 4"):
        parse_stats_history(broken)


def test_not_a_locust_file():
    with pytest.raises(ValueError, match="missing columns"):
        parse_stats_history(["a,b,c", "1,2,3"])


def test_find_stats_history(tmp_path):
    assert find_stats_history(tmp_path) is None
    (tmp_path / "locust_stats_history.csv").write_text(SAMPLE.read_text())
    assert find_stats_history(tmp_path).name == "locust_stats_history.csv"
