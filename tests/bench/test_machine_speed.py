"""bench/machine_speed.py: the windowing on hand-built series, and one short real run."""
from __future__ import annotations

import pytest

from bench.machine_speed import main, spreads


def test_windows_are_back_to_back_and_a_partial_one_is_dropped():
    per_second = [10, 10, 20, 20, 30]
    (two,) = spreads(per_second, [2])
    assert two.means == (10, 20) and two.spread == pytest.approx(1.0)


def test_longer_windows_smooth_a_fast_wobble():
    per_second = [8, 12] * 30           # ±20% second to second, steady over any even window
    short, long_ = spreads(per_second, [1, 20])
    assert short.spread == pytest.approx(0.5) and long_.spread == pytest.approx(0.0)


def test_a_window_longer_than_the_series_gives_nothing():
    assert spreads([1, 2, 3], [5]) == []


def test_a_short_real_run_prints_each_window(capsys):
    assert main(["--seconds", "2", "--procs", "1", "--windows", "1,2"]) == 0
    out = capsys.readouterr().out
    assert "1 busy processes for 2 s" in out and "  1 s windows (2)" in out and "  2 s windows (1)" in out


@pytest.mark.parametrize("args", [["--windows", "x"], ["--seconds", "5", "--windows", "10"], ["--procs", "0"]])
def test_bad_arguments_are_refused(args):
    with pytest.raises(SystemExit) as e:
        main(args)
    assert e.value.code == 2
