"""The fault catalogue: plans and parameter validation (unit), and each fault applied to a real
Toxiproxy with real TCP traffic (slow)."""
from __future__ import annotations

import pytest
from tcpcheck import exchange

from faults.catalog.weak_network import PRESETS, kbps_to_rate
from faults.errors import FaultError, ParamError
from faults.registry import FAULTS, get, names
from faults.topology import LINKS_BY_NAME

slow = pytest.mark.slow


def test_registry_holds_every_catalogue_module_and_the_mission_faults():
    import faults.catalog
    from pathlib import Path
    modules = {p.stem for p in Path(faults.catalog.__file__).parent.glob("*.py") if p.stem not in ("__init__", "base")}
    assert set(names()) == modules   # one module per fault, each registered under its module's name
    assert {"weak_network", "gateway_timeout", "kitchen_drop"} <= modules   # the mission's three
    for f in FAULTS.values():
        assert f.description and "\n" not in f.description
        assert all(link in LINKS_BY_NAME for link in f.links)
        f.plan()  # defaults are valid
        for raw in f.variants:   # every variant the nemesis may draw is valid and plans within the fault's links
            f.plan(f.parse(raw))
    with pytest.raises(FaultError, match="faults: weak_network"):
        get("nope")


def test_weak_network_presets_use_devtools_numbers():
    assert kbps_to_rate(400) == 50 and kbps_to_rate(1440) == 180 and kbps_to_rate(675) == 84
    wn = get("weak_network")
    plan = wn.plan(wn.parse({"preset": "slow-4g"}))
    lat = {t.spec.stream: t.spec.attributes["latency"] for t in plan.toxics if t.spec.type == "latency"}
    bw = {t.spec.stream: t.spec.attributes["rate"] for t in plan.toxics if t.spec.type == "bandwidth"}
    assert lat["upstream"] + lat["downstream"] == 563  # 562.5 ms RTT, whole ms
    assert bw == {"upstream": 84, "downstream": 180}
    assert PRESETS["fast-4g"].rtt_ms == 165
    assert wn.plan(wn.parse({"preset": "offline"})).down == ("diner_edge",)
    flaky = wn.plan(wn.parse({"preset": "flaky-wifi", "reset_share": 0.25}))
    reset = next(t.spec for t in flaky.toxics if t.spec.type == "reset_peer")
    assert reset.toxicity == 0.25


def test_kitchen_drop_forms_and_sides():
    kd = get("kitchen_drop")
    bh = kd.plan(kd.parse({"form": "blackhole", "side": "consume"}))
    assert [(t.link, t.spec.type, t.spec.stream, t.spec.attributes) for t in bh.toxics] == [
        ("kitchen_consume", "timeout", "upstream", {"timeout": 0})]
    cut = kd.plan(kd.parse({"form": "cut", "side": "both", "cut_bytes": 100}))
    assert {(t.link, t.spec.stream) for t in cut.toxics} == {("kitchen_publish", "upstream"), ("kitchen_consume", "downstream")}
    assert kd.plan(kd.parse({"form": "down", "side": "both"})).down == ("kitchen_publish", "kitchen_consume")


@pytest.mark.parametrize("fault,raw,match", [
    ("weak_network", {"preset": "5g"}, "choose one of 3g"),
    ("weak_network", {"reset_share": 1.5}, "<= 1"),
    ("weak_network", {"colour": "red"}, "no param 'colour'"),
    ("kitchen_drop", {"cut_bytes": "10"}, "must be an int"),
    ("kitchen_drop", {"cut_bytes": True}, "must be an int"),
    ("gateway_timeout", {"delay_ms": 1500}, "does not exceed the client timeout"),
    ("gateway_timeout", {"client_timeout_s": 0}, "> 0"),
    ("gateway_slow", {"delay_ms": 1900}, "reaches the client timeout"),
    ("db_stall", {"delay_ms": -5}, ">= 1"),
])
def test_bad_params_are_clear_errors(fault, raw, match):
    with pytest.raises(ParamError, match=match):
        get(fault).parse(raw)


def test_float_params_accept_ints():
    assert get("gateway_timeout").parse({"client_timeout_s": 3, "delay_ms": 4000}).client_timeout_s == 3.0


# Wire faults' variants (those acting on Toxiproxy alone); the others have their own real-process tests.
ALL_VARIANTS = [(name, raw) for name, f in FAULTS.items() for raw in f.variants or ({},)
                if not f.plan(f.parse(raw)).actuators]


@slow
@pytest.mark.parametrize("name,raw", ALL_VARIANTS, ids=[f"{n}-{'-'.join(map(str, r.values())) or 'default'}" for n, r in ALL_VARIANTS])
def test_every_variant_applies_and_heals_on_a_real_server(client, links, name, raw):
    fault = get(name)
    plan = fault.apply(client, fault.parse(raw), tag="t1")
    state = client.proxies()
    for t in plan.toxics:
        assert state[t.link].toxic(t.spec.resolved_name) is not None
    for link in plan.down:
        assert not state[link].enabled
    fault.heal(client, plan)
    assert all(p.enabled and not p.toxics for p in client.proxies().values())


@slow
def test_weak_network_3g_adds_the_round_trip(client, links):
    fault = get("weak_network")
    plan = fault.apply(client, fault.parse({"preset": "3g"}))
    out = exchange(links["diner_edge"], 100, timeout=10)
    assert out.kind == "ok" and out.seconds >= 1.0  # at least the downstream half; the upstream half delays the request
    fault.heal(client, plan)
    assert exchange(links["diner_edge"]).seconds < 1.0


@slow
def test_gateway_timeout_answers_after_the_client_timeout(client, links):
    fault = get("gateway_timeout")
    fault.apply(client, fault.parse({"delay_ms": 700, "client_timeout_s": 0.4}))
    assert exchange(links["payment_gateway"], timeout=0.4).kind == "timeout"   # the client gives up
    late = exchange(links["payment_gateway"], timeout=5)
    assert late.kind == "ok" and late.seconds >= 0.7                           # the answer does come, late


@slow
def test_kitchen_drop_forms_break_real_traffic(client, links):
    kd = get("kitchen_drop")
    port = links["kitchen_consume"]
    plan = kd.apply(client, kd.parse({"form": "blackhole"}))
    assert exchange(port, timeout=1.0).kind == "timeout"
    kd.heal(client, plan)
    plan = kd.apply(client, kd.parse({"form": "cut", "cut_bytes": 500}))
    out = exchange(port, 5000, timeout=5)
    assert out.kind in ("eof", "reset") and out.received <= 500
    kd.heal(client, plan)
    plan = kd.apply(client, kd.parse({"form": "reset"}))
    assert exchange(port, timeout=5).kind in ("reset", "eof")
    kd.heal(client, plan)
    plan = kd.apply(client, kd.parse({"form": "down", "side": "both"}))
    assert exchange(port).kind == "refused" and exchange(links["kitchen_publish"]).kind == "refused"
    kd.heal(client, plan)
    assert exchange(port).kind == "ok"


@slow
def test_notify_drop_and_db_stall_on_real_traffic(client, links):
    nd = get("notify_drop")
    plan = nd.apply(client, nd.parse({}))
    assert exchange(links["payment_notify"]).kind == "refused"
    nd.heal(client, plan)
    db = get("db_stall")
    db.apply(client, db.parse({"delay_ms": 300}))
    assert exchange(links["orders_db"]).seconds >= 0.3
