"""TimelineRunner: elapsed time passed in, stamps, overlap of link-downs, healing in `finally` and a
final reset (unit with a fake client, no sleeping); and against a real Toxiproxy (slow)."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from fakes import FakeToxiproxy

from faults.client import ToxicSpec
from faults.errors import FaultError, ToxiproxyError
from faults.runner import Stamp, TimelineRunner
from faults.schedule import load_schedule, parse_schedule

TIMELINE = """\
[[fault]]
at = 2
for = 4
use = "kitchen_drop"
form = "down"
side = "both"

[[fault]]
at = 3
for = 10
use = "kitchen_drop"
form = "down"
side = "consume"

[[fault]]
at = 5
for = 2
use = "gateway_timeout"
"""


@dataclass
class FakeClient(FakeToxiproxy):
    """The shared in-memory Toxiproxy (tests/fakes.py); `fail_on` makes add_toxic of that type raise."""

    fail_on: str = ""

    def add_toxic(self, proxy: str, spec: ToxicSpec):
        if spec.type == self.fail_on:
            raise ToxiproxyError(f"refused {spec.type}", status=400)
        return super().add_toxic(proxy, spec)


def ticking_clock():
    t = [1000.0]

    def clock() -> float:
        t[0] += 1
        return t[0]
    return clock


def test_step_applies_and_heals_what_is_due_with_stamps():
    fake = FakeClient()
    runner = TimelineRunner(fake, parse_schedule(TIMELINE, "t.toml"), clock=ticking_clock())
    assert runner.step(1.9) == [] and runner.next_due() == 2
    s = runner.step(2.05)
    assert [(x.action, x.fault, x.due, x.elapsed) for x in s] == [("apply", "kitchen_drop", 2.0, 2.05)]
    assert not fake.proxies_state["kitchen_publish"]["enabled"]
    runner.step(3.0)
    runner.step(5.5)
    assert fake.proxies_state["payment_gateway"]["toxics"]
    # entry 1 (both down) heals at 6, but entry 2 still holds kitchen_consume down
    s = runner.step(6.0)
    assert [(x.action, x.entry) for x in s] == [("heal", 0)]
    assert fake.proxies_state["kitchen_publish"]["enabled"] and not fake.proxies_state["kitchen_consume"]["enabled"]
    s = runner.step(20.0)
    assert [(x.action, x.entry, x.due) for x in s] == [("heal", 2, 7.0), ("heal", 1, 13.0)]
    assert runner.done and runner.next_due() is None and fake.clean
    walls = [x.wall for x in runner.stamps]
    assert walls == sorted(walls) and len(runner.stamps) == 6
    assert all(isinstance(x, Stamp) for x in runner.stamps)
    assert runner.stamps[0].as_dict()["links"] == ["kitchen_publish", "kitchen_consume"]


def test_a_big_step_applies_then_heals_in_time_order():
    fake = FakeClient()
    runner = TimelineRunner(fake, parse_schedule(TIMELINE, "t.toml"), clock=ticking_clock())
    s = runner.step(100)
    assert [(x.action, x.entry) for x in s] == [("apply", 0), ("apply", 1), ("apply", 2), ("heal", 0), ("heal", 2), ("heal", 1)]
    assert fake.clean


def test_an_exception_mid_timeline_still_heals_and_ends_with_reset():
    fake = FakeClient()
    with pytest.raises(RuntimeError, match="boom"):
        with TimelineRunner(fake, parse_schedule(TIMELINE, "t.toml"), clock=ticking_clock()) as runner:
            runner.step(5.5)
            assert not fake.clean
            raise RuntimeError("boom")
    assert fake.clean and fake.log[-1] == ("reset",)
    assert [x.action for x in runner.stamps].count("heal") == 3


def test_a_fault_that_does_not_apply_raises_fault_error_and_is_cleaned():
    fake = FakeClient(fail_on="latency")
    with pytest.raises(FaultError, match="#3 gateway_timeout did not apply at 5.0 s"):
        with TimelineRunner(fake, parse_schedule(TIMELINE, "t.toml")) as runner:
            runner.step(5.0)
    assert fake.clean and fake.log[-1] == ("reset",)


def test_a_failing_heal_still_resets_and_is_reported():
    fake = FakeClient()
    runner = TimelineRunner(fake, parse_schedule(TIMELINE, "t.toml"))
    runner.step(5.5)
    fake.proxies_state["payment_gateway"]["toxics"].clear()   # someone removed it behind our back
    with pytest.raises(FaultError, match="#3 gateway_timeout did not heal at 5.5 s"):
        runner.heal_all()
    assert fake.clean and fake.log[-1] == ("reset",)


def test_preflight_names_missing_links():
    fake = FakeClient()
    del fake.proxies_state["kitchen_consume"]
    with pytest.raises(FaultError, match="no proxy for link\\(s\\) kitchen_consume"):
        TimelineRunner(fake, parse_schedule(TIMELINE, "t.toml")).preflight()


def test_builtin_ci_gate_runs_to_the_end_on_a_fake():
    fake = FakeClient()
    schedule = load_schedule("ci-gate")
    with TimelineRunner(fake, schedule) as runner:
        t = 0.0
        while (due := runner.next_due()) is not None:
            t = due
            runner.step(t)
    assert runner.done and fake.clean and len(runner.stamps) == 2 * len(schedule.entries)


@pytest.mark.slow
def test_real_toxiproxy_is_clean_after_an_exception_mid_timeline(client, links):
    schedule = parse_schedule(TIMELINE + '\n[[fault]]\nat = 1\nfor = 50\nuse = "weak_network"\npreset = "3g"\n', "t.toml")
    with pytest.raises(RuntimeError):
        with TimelineRunner(client, schedule) as runner:
            runner.preflight()
            runner.step(5.5)
            state = client.proxies()
            assert not state["kitchen_consume"].enabled and state["diner_edge"].toxics
            raise RuntimeError("load generator crashed")
    assert all(p.enabled and not p.toxics for p in client.proxies().values())


@pytest.mark.slow
def test_real_toxiproxy_refusal_makes_the_fault_error(client, links):
    client.add_toxic("payment_gateway", ToxicSpec("latency", {"latency": 1}, name="e2_gateway_timeout_latency_downstream"))
    with pytest.raises(FaultError, match="did not apply"):
        with TimelineRunner(client, parse_schedule(TIMELINE, "t.toml")) as runner:
            runner.step(5.0)   # the gateway_timeout toxic name is taken: 409
    assert all(p.enabled and not p.toxics for p in client.proxies().values())


# --- a wedged fault proxy (ToxiproxyUnresponsive) -------------------------------------------------------------
@dataclass
class WedgingClient(FakeClient):
    """A FakeClient whose API hangs (raises ToxiproxyUnresponsive) until `restart` is called."""

    wedged: bool = False
    restarts: int = 0

    def _check(self) -> None:
        from faults.errors import ToxiproxyUnresponsive
        if self.wedged:
            raise ToxiproxyUnresponsive("Toxiproxy at fake stopped answering (timed out)")

    def add_toxic(self, proxy, spec):
        self._check()
        return super().add_toxic(proxy, spec)

    def remove_toxic(self, proxy, name):
        self._check()
        return super().remove_toxic(proxy, name)

    def reset(self):
        self._check()
        return super().reset()

    def restart(self) -> str:
        self.wedged = False
        self.restarts += 1
        for p in self.proxies_state.values():   # fresh proxies: nothing survives
            p["enabled"], p["toxics"] = True, {}
        return "fresh server"


WEDGE_TIMELINE = """\
[[fault]]
at = 1
for = 10
use = "weak_network"
preset = "3g"

[[fault]]
at = 2
for = 2
use = "gateway_timeout"
"""


def test_a_wedged_proxy_is_restarted_stamped_and_the_fault_applied_again():
    fake = WedgingClient()
    runner = TimelineRunner(fake, parse_schedule(WEDGE_TIMELINE, "w.toml"), clock=ticking_clock(),
                            restart_proxy=fake.restart)
    runner.step(1.0)
    fake.wedged = True
    stamps = runner.step(2.0)   # apply of gateway_timeout hangs → restart → applied on the fresh server
    assert fake.restarts == 1
    assert [(s.action, s.fault) for s in runner.stamps] == [
        ("apply", "weak_network"), ("restart", "toxiproxy"), ("heal", "weak_network"), ("apply", "gateway_timeout")]
    restart = runner.stamps[1]
    assert restart.detail.startswith("fault proxy restarted at 2.0 s") and restart.entry == -1
    assert "healed early by the fault proxy restart" in runner.stamps[2].detail
    assert fake.proxies_state["payment_gateway"]["toxics"] and not fake.proxies_state["diner_edge"]["toxics"]
    assert [s.action for s in stamps] == ["apply"]
    runner.step(20.0)
    assert runner.done and fake.clean


def test_a_wedged_heal_and_reset_are_restarted_too():
    fake = WedgingClient()
    runner = TimelineRunner(fake, parse_schedule(WEDGE_TIMELINE, "w.toml"), restart_proxy=fake.restart)
    runner.step(2.5)
    fake.wedged = True
    runner.step(4.0)             # heal of gateway_timeout hangs → restart heals both
    assert fake.restarts == 1 and runner.done and fake.clean
    fake.wedged = True
    runner.heal_all()            # the final reset hangs → one more restart
    assert fake.restarts == 2


def test_a_wedged_external_proxy_is_a_fault_error_naming_it():
    fake = WedgingClient()
    runner = TimelineRunner(fake, parse_schedule(WEDGE_TIMELINE, "w.toml"))
    fake.wedged = True
    with pytest.raises(FaultError, match="fault proxy wedged at 1.0 s .*cannot restart an external Toxiproxy"):
        runner.step(1.0)


def test_faults_healed_early_by_a_restart_are_not_healed_again():
    text = WEDGE_TIMELINE.replace("for = 10", "for = 3")   # both heal at 4 s
    for finish in ("step", "heal_all"):
        fake = WedgingClient()
        runner = TimelineRunner(fake, parse_schedule(text, "w.toml"), restart_proxy=fake.restart)
        runner.step(2.5)
        fake.wedged = True
        runner.step(4.0) if finish == "step" else runner.heal_all(3.0)
        assert fake.restarts == 1 and fake.clean
        heals = [s for s in runner.stamps if s.action == "heal"]
        assert sorted(s.fault for s in heals) == ["gateway_timeout", "weak_network"]   # each once
