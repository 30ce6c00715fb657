"""The random nemesis: draws from the whole registry, never two faults on one link or part at once, fits
the load's duration (pure: no sleeping, no servers)."""
from __future__ import annotations

import dataclasses

import pytest

from faults.catalog.base import Fault, Plan, Step
from faults.errors import FaultError
from faults.nemesis import SAME_TARGET_GAP_S, RandomSpec, fit, random_schedule
from faults.registry import FAULTS
from faults.schedule import load_schedule
from faults.timeline import overlaps

SEEDS = range(1, 41)


def _held(e) -> set[str]:
    plan = e.fault.plan(e.params)
    return {f"link:{x}" for x in plan.links} | {f"part:{x}" for x in plan.parts}


def test_draws_from_the_whole_registry():
    drawn = {e.use for seed in SEEDS for e in random_schedule(RandomSpec(seed=seed, rate_per_min=8)).entries}
    assert drawn == set(FAULTS)


def test_never_two_faults_on_one_link_or_part_at_once():
    for seed in SEEDS:
        entries = random_schedule(RandomSpec(seed=seed, rate_per_min=12, duration=300)).entries
        for i, a in enumerate(entries):
            for b in entries[i + 1:]:
                if overlaps(a.at, a.end, b.at, b.end, SAME_TARGET_GAP_S):
                    assert not _held(a) & _held(b), (seed, a, b)


def test_every_drawn_params_is_one_of_the_faults_variants():
    for seed in SEEDS:
        for e in random_schedule(RandomSpec(seed=seed)).entries:
            assert e.params in {e.fault.parse(raw) for raw in e.fault.variants or ({},)}


def test_a_fault_registered_later_joins(monkeypatch):
    extra = Fault("later_fault", "A fault added after the nemesis was written.", (), type(FAULTS["provider_declines"].parse()),
                  lambda p: Plan(steps=(Step("processes", "pause", "resume", "relay"),)))
    monkeypatch.setitem(FAULTS, "later_fault", extra)
    drawn = {e.use for seed in SEEDS for e in random_schedule(RandomSpec(seed=seed, rate_per_min=8)).entries}
    assert "later_fault" in drawn


@pytest.mark.parametrize("duration", [20, 45, 80, 125, 600])
def test_fits_the_load_duration(duration):
    spec = fit(RandomSpec(seed=3, rate_per_min=10), duration)
    assert spec.duration == duration and spec.min_for <= spec.max_for
    for seed in SEEDS:
        s = random_schedule(dataclasses.replace(spec, seed=seed))
        assert s.total == duration
        assert all(spec.quiet_start <= e.at and e.end <= duration - spec.quiet_end for e in s.entries)


def test_too_short_a_load_is_a_clear_error():
    with pytest.raises(FaultError, match="raise --duration"):
        fit(RandomSpec(), 10)


def test_load_schedule_fits_random_to_the_duration_and_leaves_fixed_ones():
    a = load_schedule("random", seed=11, duration=125)
    assert a.total == 125 and a.seed == 11 and a.entries
    assert load_schedule("random", seed=11, duration=80).total == 80
    assert load_schedule("random", seed=11, duration=125).entries == a.entries   # same seed, same timeline
    assert load_schedule("ci-gate", duration=125).total == load_schedule("ci-gate").total


def test_a_long_first_gap_still_brings_one_fault_when_one_fits():
    # seed 2 at the ci-gate profile's 80 s once drew nothing (its first arrival fell past the last start)
    for seed in range(1, 41):
        spec = fit(RandomSpec(seed=seed), 80)
        s = random_schedule(spec)
        assert s.entries, seed
        assert all(spec.quiet_start <= e.at and e.end <= 80 - spec.quiet_end for e in s.entries), seed
