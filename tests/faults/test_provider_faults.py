"""Payment-provider faults: typed params and variants, planned as gateway steps, applied and healed through a
fake GatewayControl; the runner's preflight names a missing chaos control (unit, no servers)."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from faults.actuators import Actuators
from faults.errors import FaultError, ParamError
from faults.registry import get
from faults.runner import TimelineRunner
from faults.schedule import parse_schedule

PROVIDER = ("provider_errors", "provider_declines", "webhook_chaos")


@dataclass
class FakeGateway:
    """Holds chaos settings like the simulated gateway does (merge on set, empty on clear)."""

    held: dict[str, object] = field(default_factory=dict)
    calls: list[tuple] = field(default_factory=list)

    def set_chaos(self, **settings: object) -> str:
        self.held.update(settings)
        self.calls.append(("set", settings))
        return "ok"

    def clear_chaos(self) -> str:
        self.held.clear()
        self.calls.append(("clear",))
        return "cleared"


class NoLinks:
    def add_toxic(self, proxy, spec):
        raise AssertionError("a provider fault touches no link")

    remove_toxic = set_enabled = add_toxic


@pytest.mark.parametrize("name,raw,held", [
    ("provider_errors", {}, {"error_rate": 0.3, "error_when": "after"}),
    ("provider_errors", {"when": "before", "error_rate": 1}, {"error_rate": 1.0, "error_when": "before"}),
    ("provider_declines", {"decline_rate": 0.5}, {"decline_rate": 0.5}),
    ("webhook_chaos", {"form": "delay", "delay_ms": 3000}, {"notify_delay_ms": 3000}),
    ("webhook_chaos", {"form": "duplicate", "share": 0.25}, {"notify_duplicate_rate": 0.25}),
    ("webhook_chaos", {}, {"notify_reorder_rate": 0.5, "notify_reorder_lag_ms": 2000}),
])
def test_applied_through_the_chaos_control_and_healed(name, raw, held):
    fault, gw = get(name), FakeGateway()
    acts = Actuators(links=NoLinks(), gateway=gw)
    plan = fault.apply(acts, fault.parse(raw))
    assert gw.held == held and plan.links == () and plan.parts == ("gateway",)
    fault.heal(acts, plan)
    assert gw.held == {} and gw.calls[-1] == ("clear",)


@pytest.mark.parametrize("name", PROVIDER)
def test_variants_are_valid_and_all_hold_only_the_gateway(name):
    fault = get(name)
    assert fault.variants
    assert {fault.plan(fault.parse(raw)).parts for raw in fault.variants} == {("gateway",)}


@pytest.mark.parametrize("name,raw,match", [
    ("provider_errors", {"error_rate": 0}, "> 0"),
    ("provider_errors", {"error_rate": 1.5}, "<= 1"),
    ("provider_errors", {"when": "later"}, "before, after, both"),
    ("provider_declines", {"decline_rate": "half"}, "must be a number"),
    ("webhook_chaos", {"form": "lost"}, "delay, duplicate, reorder"),
    ("webhook_chaos", {"delay_ms": 61000}, "<= 60000"),
])
def test_bad_params_are_clear_errors(name, raw, match):
    with pytest.raises(ParamError, match=match):
        get(name).parse(raw)


def test_preflight_names_a_missing_chaos_control():
    schedule = parse_schedule("[[fault]]\nat = 1\nfor = 2\nuse = 'provider_declines'\n", "p.toml")

    class Client(NoLinks):
        def proxies(self):
            return {}

        def reset(self):
            return None

    with pytest.raises(FaultError, match="needs gateway control"):
        TimelineRunner(Client(), schedule).preflight()
    runner = TimelineRunner(Client(), schedule, gateway=FakeGateway())
    runner.preflight()
    stamps = runner.step(1.0) + runner.step(3.0)
    assert [(s.action, s.detail) for s in stamps] == [("apply", "gateway:set_chaos(decline_rate=0.3)"),
                                                       ("heal", "gateway:set_chaos(decline_rate=0.3)")]
    assert runner.gateway.held == {}


def test_heal_all_clears_the_provider_when_the_run_is_cut_short():
    """Ctrl-C, SIGTERM or a dead service while a provider fault is active: the runner's `finally` clears it."""
    schedule = parse_schedule("[[fault]]\nat = 1\nfor = 30\nuse = 'webhook_chaos'\n", "p.toml")

    class Client(NoLinks):
        resets = 0

        def proxies(self):
            return {}

        def reset(self):
            Client.resets += 1

    gw = FakeGateway()
    with pytest.raises(KeyboardInterrupt):
        with TimelineRunner(Client(), schedule, gateway=gw) as runner:
            runner.step(2.0)
            assert gw.held
            raise KeyboardInterrupt
    assert gw.held == {} and gw.calls[-1] == ("clear",) and Client.resets == 1
    assert [s.action for s in runner.stamps] == ["apply", "heal"]
