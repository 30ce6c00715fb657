import pytest

from harness.errors import Exit, UsageError
from harness.profiles import PROFILES, profile


def test_every_profile_schedule_fits_its_load() -> None:
    from faults.schedule import load_schedule
    for p in PROFILES.values():
        if p.schedule != "none":
            assert load_schedule(p.schedule).total <= p.duration_s, p.name


def test_unknown_profile_is_a_usage_error_listing_the_choices() -> None:
    with pytest.raises(UsageError, match="ci-gate") as err:
        profile("brunch")
    assert err.value.exit_code == Exit.USAGE


def test_overrides_ignore_none() -> None:
    p = profile("ci-gate").with_overrides(users=3, duration_s=None)
    assert p.users == 3 and p.duration_s == profile("ci-gate").duration_s


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_a_random_nemesis_fits_each_profiles_own_duration(name):
    """`--schedule random` with a profile's default duration is fitted to it, never refused."""
    from harness.run import RunOptions, load_profile_schedule

    prof = PROFILES[name].with_overrides(schedule="random")
    try:
        schedule = load_profile_schedule(RunOptions(profile=prof, seed=5))
    except UsageError as err:   # a load too short for any fault says so: never a run without the faults asked for
        assert prof.duration_s < 60 and "drew no fault" in str(err) and "--duration" in str(err)
        return
    assert schedule is not None and schedule.entries and schedule.total <= prof.duration_s
