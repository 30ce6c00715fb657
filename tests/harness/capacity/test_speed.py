"""The machine-speed probe: its fixed work, the thread that samples it, and the summary a search reports."""
from __future__ import annotations

import time

import pytest

from harness.capacity.speed import SpeedProbe, burst, spread, summarize, unit


def test_a_unit_is_the_same_work_every_time():
    assert unit() == unit() != 0


def test_a_burst_reads_a_positive_speed():
    assert burst() > 0


def test_the_probe_samples_while_it_runs_and_stops_when_asked():
    start = time.time()
    with SpeedProbe(pause_s=0.01) as probe:
        time.sleep(0.3)
    end = time.time()
    got = probe.over(start, end)
    assert got is not None and got.samples >= 3 and got.units_per_cpu_ms > 0
    assert not probe._thread.is_alive()
    count = len(probe._samples)
    time.sleep(0.05)
    assert len(probe._samples) == count                    # nothing after it stopped


def test_a_window_outside_the_samples_has_no_reading():
    with SpeedProbe(pause_s=0.01) as probe:
        time.sleep(0.05)
    assert probe.over(0, 1) is None


def test_a_window_takes_only_its_own_samples():
    probe = SpeedProbe()
    probe._samples.extend([(10.0, 0.2), (11.0, 0.4), (12.0, 0.6), (20.0, 9.9)])
    got = probe.over(10.5, 12.0)
    assert got.units_per_cpu_ms == pytest.approx(0.5) and got.samples == 2


def test_spread_is_fastest_over_slowest():
    assert spread([0.4, 0.5]) == pytest.approx(0.25)
    assert spread([0.4]) is None and spread([]) is None and spread([0.4, None, 0.5]) == pytest.approx(0.25)


def test_summary_scales_the_capacity_to_the_reference_speed():
    s = summarize(120.0, 0.4, [0.5, 0.4, None])
    assert s.knee_index == 0.8 and s.capacity_adjusted_orders_per_s == 150.0 and s.spread_between_steps == 0.25
    assert s.sentence.startswith("machine speed: 0.80× the reference during the knee's step; capacity at the "
                                 "reference speed 150.0 orders/s")
    none = summarize(120.0, None, [0.5])
    assert none.knee_index is None and none.capacity_adjusted_orders_per_s is None and "not measured" in none.sentence


def test_no_adjusted_capacity_when_the_limit_was_not_the_cpu():
    s = summarize(120.0, 0.4, [0.4], cpu_bound=False)
    assert s.knee_index == 0.8 and s.capacity_adjusted_orders_per_s is None
    assert s.sentence == ("machine speed: 0.80× the reference during the knee's step; the limit was not the CPU, so "
                          "no capacity at the reference speed is given")
