"""Load shapes are pure functions of elapsed seconds: checked at chosen instants, never by sleeping."""
from __future__ import annotations

import pytest

import subprocess
import sys
import textwrap

from scenarios.shapes import DINNER_CURVE, LUNCH_CURVE, SHAPES, Curve, FlashSale, ShapeParams, Soak, Steps, make_shape


@pytest.mark.parametrize("curve", [LUNCH_CURVE, DINNER_CURVE])
def test_rush_rises_peaks_and_falls_then_stops(curve):
    shape = Curve(curve, peak_users=100, seconds=200)
    users = [shape(t)[0] for t in range(0, 200, 5)]
    peak_at = users.index(max(users))
    assert max(users) == 100
    assert users[0] < 20 and users[-1] < 20
    assert all(a <= b for a, b in zip(users[:peak_at], users[1:peak_at + 1]))   # rise
    assert all(a >= b for a, b in zip(users[peak_at:], users[peak_at + 1:]))     # fall
    assert 0.2 * 200 < peak_at * 5 < 0.7 * 200
    assert shape(200) is None and shape(-1) is None
    assert all(shape(t)[1] >= 1 for t in range(0, 200, 7))


def test_lunch_peaks_earlier_and_sharper_than_dinner():
    lunch, dinner = Curve(LUNCH_CURVE, 100, 100), Curve(DINNER_CURVE, 100, 100)
    assert lunch(38)[0] > dinner(38)[0]
    assert dinner(70)[0] > lunch(70)[0]


def test_rush_scales_with_peak_users_and_never_drops_to_zero():
    small, big = Curve(LUNCH_CURVE, 3, 60), Curve(LUNCH_CURVE, 300, 60)
    assert all(small(t)[0] >= 1 for t in range(60))
    assert max(big(t)[0] for t in range(60)) == 300


def test_flash_sale_spikes_then_returns_to_base():
    s = FlashSale(peak_users=200, seconds=90)
    assert s(0) == (20, 200.0)
    assert s(30)[0] == 200 and s(44)[0] == 200
    assert s(45)[0] == 20 and s(89)[0] == 20
    assert s(90) is None


def test_steps_climb_and_stop_past_the_cap():
    s = Steps(start_users=10, step_users=5, step_seconds=30, max_users=25)
    assert [s(t)[0] for t in (0, 29.9, 30, 60, 90)] == [10, 10, 15, 20, 25]
    assert s(120) is None
    assert s.step_index(61) == 2


def test_soak_is_flat():
    s = Soak(users=7, seconds=50)
    assert {s(t) for t in range(50)} == {(7, 7.0)}
    assert s(50) is None


def test_registry_builds_every_shape_and_refuses_unknown():
    p = ShapeParams(peak_users=10, seconds=60)
    for name in SHAPES:
        assert make_shape(name, p)(0) is not None
    with pytest.raises(ValueError, match="unknown shape"):
        make_shape("brunch", p)


def test_shapes_module_does_not_import_locust():
    """Locust monkey-patches on import; the harness imports shapes and must stay unpatched."""
    code = "import sys, scenarios.shapes, scenarios.data, scenarios.ledger_sink, scenarios.journey; print('locust' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_locust_adapter_reads_elapsed_time():
    """Run in a child: importing Locust here would monkey-patch the whole test session."""
    code = textwrap.dedent("""
        from scenarios.locust_shape import DinerushShape
        from scenarios.shapes import Soak
        shape = DinerushShape()
        assert shape.tick() is None
        shape.select(Soak(users=4, seconds=10))
        shape.get_run_time = lambda: 3.0
        assert shape.tick() == (4, 4.0), shape.tick()
        shape.get_run_time = lambda: 11.0
        assert shape.tick() is None
        assert DinerushShape.use_common_options
        print("ok")
    """)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr[-2000:]
