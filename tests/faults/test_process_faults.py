"""The process faults (service_crash, service_pause, broker_restart, db_restart) on a fake ProcessControl: what each
plans, the calls apply and heal make in order, preflight gaps named in one line, and the runner driving them."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from faults.actuators import PARTS, SERVICES, Actuators
from faults.catalog.base import check_actuators
from faults.errors import FaultError, ParamError
from faults.registry import get
from faults.runner import TimelineRunner
from faults.schedule import parse_schedule


@dataclass
class FakeProcesses:
    """Records every call; `fail` makes one action raise like a part that does not come back."""

    offered: tuple[str, ...] = PARTS
    calls: list[tuple[str, str]] = field(default_factory=list)
    fail: tuple[str, str] | None = None

    def parts(self) -> tuple[str, ...]:
        return self.offered

    def check(self, part: str, actions: tuple[str, ...]) -> None:
        if part not in self.offered:
            raise FaultError(f"no [processes.{part}] in the target config")

    def _do(self, action: str, part: str) -> str:
        self.calls.append((action, part))
        if self.fail == (action, part):
            raise FaultError(f"{part} did not come back (log: {part}.log)")
        return f"{part} {action}"

    def kill(self, part: str) -> str:
        return self._do("kill", part)

    def start(self, part: str) -> str:
        return self._do("start", part)

    def pause(self, part: str) -> str:
        return self._do("pause", part)

    def resume(self, part: str) -> str:
        return self._do("resume", part)


class NoLinks:
    """Process faults touch no link: any call here is a bug."""

    def add_toxic(self, proxy, spec):
        raise AssertionError("process fault added a toxic")

    def remove_toxic(self, proxy, name):
        raise AssertionError("process fault removed a toxic")

    def set_enabled(self, name, enabled):
        raise AssertionError("process fault toggled a link")

    def reset(self):
        pass

    def proxies(self):
        return {}


@pytest.mark.parametrize("name,raw,apply,heal,part", [
    ("service_crash", {"service": "relay"}, "kill", "start", "relay"),
    ("service_pause", {"service": "orders"}, "pause", "resume", "orders"),
    ("broker_restart", {}, "kill", "start", "rabbitmq"),
    ("db_restart", {}, "kill", "start", "postgres"),
])
def test_apply_then_heal_calls_the_process_control(name, raw, apply, heal, part) -> None:
    fault, procs = get(name), FakeProcesses()
    acts = Actuators(links=NoLinks(), processes=procs)
    plan = fault.apply(acts, fault.parse(raw))
    assert procs.calls == [(apply, part)]
    assert plan.parts == (part,) and plan.links == () and plan.actuators == ("processes",)
    fault.heal(acts, plan)
    assert procs.calls == [(apply, part), (heal, part)]


def test_service_faults_take_each_service_and_nothing_else() -> None:
    for name in ("service_crash", "service_pause"):
        fault = get(name)
        assert [v["service"] for v in fault.variants] == list(SERVICES)
        assert {fault.plan(fault.parse(v)).parts[0] for v in fault.variants} == set(SERVICES)
        with pytest.raises(ParamError, match="choose one of orders, relay, gateway, kitchen"):
            fault.parse({"service": "postgres"})
    with pytest.raises(ParamError, match="broker_restart has no param 'service'"):
        get("broker_restart").parse({"service": "kitchen"})


def test_a_target_without_process_control_fails_preflight_in_one_line() -> None:
    fault = get("service_crash")
    with pytest.raises(FaultError, match="fault service_crash needs processes control, which this target does not offer"):
        check_actuators(fault.plan(), Actuators(links=NoLinks()), "service_crash")


def test_a_part_the_control_cannot_act_on_fails_preflight_naming_it() -> None:
    procs = FakeProcesses(offered=("orders",))
    with pytest.raises(FaultError, match=r"fault db_restart: no \[processes.postgres\] in the target config"):
        check_actuators(get("db_restart").plan(), Actuators(links=NoLinks(), processes=procs), "db_restart")


def test_heal_that_fails_is_reported_after_trying() -> None:
    fault, procs = get("service_crash"), FakeProcesses(fail=("start", "kitchen"))
    acts = Actuators(links=NoLinks(), processes=procs)
    plan = fault.apply(acts, fault.parse({"service": "kitchen"}))
    with pytest.raises(FaultError, match=r"kitchen did not come back \(log: kitchen.log\)"):
        fault.heal(acts, plan)


SCHEDULE = """
name = "procs"
duration = 30
[[fault]]
at = 2
for = 3
use = "service_crash"
service = "kitchen"
[[fault]]
at = 4
for = 6
use = "db_restart"
[[fault]]
at = 12
for = 5
use = "service_pause"
service = "gateway"
"""


def test_runner_drives_process_faults_in_time_order_and_heals_on_exit() -> None:
    procs = FakeProcesses()
    with TimelineRunner(NoLinks(), parse_schedule(SCHEDULE), processes=procs, clock=lambda: 0.0) as runner:
        runner.preflight()
        for t in (0, 2, 4, 5, 10, 12):
            runner.step(t)
    assert procs.calls == [("kill", "kitchen"), ("kill", "postgres"), ("start", "kitchen"), ("start", "postgres"),
                           ("pause", "gateway"), ("resume", "gateway")]   # the last one: healed on exit
    assert [s.detail for s in runner.stamps][:2] == ["kitchen:kill", "postgres:kill"]


def test_runner_preflight_refuses_a_schedule_the_target_cannot_act_on() -> None:
    runner = TimelineRunner(NoLinks(), parse_schedule(SCHEDULE), processes=None)
    with pytest.raises(FaultError, match="fault service_crash needs processes control"):
        runner.preflight()


def test_a_step_that_fails_to_apply_is_undone_before_the_error_propagates() -> None:
    """A pause the engine did not confirm may still have frozen the part: apply undoes what it tried."""
    fault, procs = get("service_pause"), FakeProcesses(fail=("pause", "gateway"))
    with pytest.raises(FaultError, match="gateway did not come back"):
        fault.apply(Actuators(links=NoLinks(), processes=procs), fault.parse({"service": "gateway"}))
    assert procs.calls == [("pause", "gateway"), ("resume", "gateway")]


class Interrupt(BaseException):
    """What the harness raises on SIGINT/SIGTERM (a BaseException, like KeyboardInterrupt)."""


@dataclass
class InterruptedProcesses(FakeProcesses):
    """`interrupt` raises Interrupt from that call, as a Ctrl-C landing while the part is being killed/started."""

    interrupt: tuple[str, str] | None = None

    def _do(self, action: str, part: str) -> str:
        out = super()._do(action, part)
        if self.interrupt == (action, part):
            raise Interrupt("SIGINT")
        return out


ONE_CRASH = """
name = "one"
duration = 30
[[fault]]
at = 1
for = 20
use = "service_crash"
service = "kitchen"
[[fault]]
at = 1
for = 20
use = "db_restart"
"""


def test_an_interrupt_while_applying_is_not_a_fault_error_and_the_part_is_started_again() -> None:
    """The Ctrl-C lands while the kill is under way: the interrupt goes through unwrapped (the run reports
    "interrupted", not "did not apply"), the kill is undone, and the timeline says both."""
    procs = InterruptedProcesses(interrupt=("kill", "kitchen"))
    runner = TimelineRunner(NoLinks(), parse_schedule(ONE_CRASH), processes=procs, clock=lambda: 0.0)
    with pytest.raises(Interrupt):
        with runner:
            runner.step(1.0)
    assert procs.calls == [("kill", "kitchen"), ("start", "kitchen")]
    assert [(s.action, s.fault) for s in runner.stamps] == [("apply", "service_crash"), ("heal", "service_crash")]
    assert "interrupted while applying" in runner.stamps[0].detail


def test_an_interrupt_while_healing_still_heals_every_other_fault_then_goes_through() -> None:
    procs = InterruptedProcesses(interrupt=("start", "kitchen"))
    runner = TimelineRunner(NoLinks(), parse_schedule(ONE_CRASH), processes=procs, clock=lambda: 0.0)
    runner.step(1.0)
    with pytest.raises(Interrupt):
        runner.heal_all()
    assert procs.calls[2:] == [("start", "kitchen"), ("start", "postgres")]
    assert [s.action for s in runner.stamps] == ["apply", "apply", "heal", "heal"]
    assert "interrupted while healing" in runner.stamps[2].detail


def test_an_interrupt_is_raised_before_an_earlier_heal_error() -> None:
    procs = InterruptedProcesses(fail=("start", "kitchen"), interrupt=("start", "postgres"))
    runner = TimelineRunner(NoLinks(), parse_schedule(ONE_CRASH), processes=procs, clock=lambda: 0.0)
    runner.step(1.0)
    with pytest.raises(Interrupt):
        runner.heal_all()
