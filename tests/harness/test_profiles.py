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
