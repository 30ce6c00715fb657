"""The supervisor's bookkeeping without processes: what it offers, how it refuses, and the dead-service check
that skips a part taken down on purpose but still reports one that died by itself."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from faults.actuators import PARTS
from faults.errors import FaultError
from harness.runtime.supervisor import Supervisor
from harness.targets.local import LocalTarget


@dataclass
class FakeChild:
    name: str
    up: bool = True
    proc: object = field(default_factory=object)

    def alive(self) -> bool:
        return self.up


def target_with(children: dict[str, FakeChild], supervisor: Supervisor | None) -> LocalTarget:
    t = LocalTarget.__new__(LocalTarget)
    t.stack = SimpleNamespace(services=children, supervisor=supervisor)
    return t


def test_it_offers_every_part_and_refuses_others_in_one_line() -> None:
    sup = Supervisor(stack=SimpleNamespace())
    assert sup.parts() == PARTS
    sup.check("kitchen", ("kill", "start"))
    with pytest.raises(FaultError, match="the local stack has no part 'kds'; parts: orders, relay, gateway"):
        sup.check("kds", ("kill",))
    with pytest.raises(FaultError, match="cannot restart kitchen; it can kill, start, pause, resume"):
        sup.check("kitchen", ("restart",))


def test_dead_services_skips_a_part_down_on_purpose_only() -> None:
    children = {n: FakeChild(n) for n in ("orders", "relay", "gateway", "kitchen")}
    sup = Supervisor(stack=SimpleNamespace())
    target = target_with(children, sup)
    children["kitchen"].up = False
    assert target.dead_services() == ["kitchen"]          # died by itself
    sup.down.add("kitchen")
    assert target.dead_services() == []                   # killed by a fault, not started again yet
    children["relay"].up = False
    assert target.dead_services() == ["relay"]            # another part dying meanwhile is still dead
    sup.down.discard("kitchen")
    assert target.dead_services() == ["relay", "kitchen"]  # healed but not running: dead again


def test_a_part_never_started_is_a_fault_error() -> None:
    sup = Supervisor(stack=SimpleNamespace(postgres=None, rabbit=None, services={}))
    with pytest.raises(FaultError, match="kitchen was never started by the local stack"):
        sup.pause("kitchen")
