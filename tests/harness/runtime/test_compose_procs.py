"""Process faults on compose (ComposeProcesses) against the faked docker SDK of test_compose: the right signal per
part, start waits for the healthcheck, a part that does not come back is one FaultError, and a killed service
is not "dead" for the run. No Docker engine runs here."""
from __future__ import annotations

import pytest
from test_compose import by_service, make_stack, stack_containers

from faults.actuators import Actuators
from faults.errors import FaultError
from faults.registry import get
from harness.runtime.compose_procs import ComposeProcesses
from harness.targets.compose import ComposeTarget


@pytest.mark.parametrize("fault,raw,part,signal", [
    ("service_crash", {"service": "kitchen"}, "kitchen", "SIGKILL"),
    ("broker_restart", {}, "rabbitmq", "SIGTERM"),
    ("db_restart", {}, "postgres", "SIGQUIT"),
])
def test_kill_then_start_through_the_fault(tmp_path, fault, raw, part, signal):
    items = stack_containers()
    stack, _, _ = make_stack(tmp_path, items)
    procs = ComposeProcesses(stack)
    acts = Actuators(links=None, processes=procs)  # type: ignore[arg-type]
    f = get(fault)
    plan = f.apply(acts, f.parse(raw))
    c = by_service(items, part)
    assert c.calls == [f"kill {signal}"] and c.status == "exited" and procs.held() == {part}
    f.heal(acts, plan)
    assert c.calls == [f"kill {signal}", "start"] and c.status == "running" and procs.held() == frozenset()


def test_pause_then_resume(tmp_path):
    items = stack_containers()
    stack, _, _ = make_stack(tmp_path, items)
    procs = ComposeProcesses(stack)
    procs.pause("gateway")
    assert by_service(items, "gateway").status == "paused"
    procs.resume("gateway")
    assert by_service(items, "gateway").calls == ["pause", "unpause"]


def test_a_pause_or_unpause_the_engine_did_not_make_is_a_fault_error_naming_the_container(tmp_path, monkeypatch):
    """pause and resume read the container's state back from the engine, as every fault change is read back."""
    items = stack_containers()
    stack, _, _ = make_stack(tmp_path, items)
    procs = ComposeProcesses(stack)
    gateway = by_service(items, "gateway")
    monkeypatch.setattr(gateway, "pause", lambda: gateway.calls.append("pause"))      # the engine ignores it
    with pytest.raises(FaultError, match=r"^gateway not paused after docker pause: dinerush-gateway-1 is running$"):
        procs.pause("gateway")
    monkeypatch.undo()
    procs.pause("gateway")
    monkeypatch.setattr(gateway, "unpause", lambda: gateway.calls.append("unpause"))  # stays frozen
    with pytest.raises(FaultError, match=r"^gateway not running after docker unpause: dinerush-gateway-1 is paused$"):
        procs.resume("gateway")


def test_start_waits_for_the_healthcheck_and_a_part_that_stays_unhealthy_is_a_fault_error(tmp_path):
    items = stack_containers()
    stack, _, clock = make_stack(tmp_path, items)
    procs = ComposeProcesses(stack, timeout=5)
    procs.kill("relay")
    relay = by_service(items, "relay")
    relay.health_script = ["starting", "starting", "healthy"]
    procs.start("relay")
    assert clock.slept                               # it polled until healthy
    procs.kill("kitchen")
    by_service(items, "kitchen").health_script = ["starting"] * 50
    with pytest.raises(FaultError, match="kitchen did not come back: compose services not healthy after 5s"):
        procs.start("kitchen")


def test_start_without_a_kill_and_unknown_parts_are_one_line(tmp_path):
    stack, _, _ = make_stack(tmp_path, stack_containers())
    procs = ComposeProcesses(stack)
    with pytest.raises(FaultError, match="no killed container of compose service 'orders' to start"):
        procs.start("orders")
    with pytest.raises(FaultError, match="the compose stack has no part 'kds'"):
        procs.check("kds", ("kill",))


def test_a_killed_service_is_not_dead_for_the_run_but_one_that_exits_by_itself_is(tmp_path):
    items = stack_containers()
    stack, _, _ = make_stack(tmp_path, items)
    target = ComposeTarget.__new__(ComposeTarget)
    target.stack, target.processes = stack, None
    target.process_control().kill("kitchen")
    assert target.dead_services() == []
    by_service(items, "relay").status = "exited"
    assert target.dead_services() == ["relay"]
