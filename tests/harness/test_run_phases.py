"""`dinerush run`'s own part of the session on a fake target, a fake Locust and a virtual clock (tests/fakes.py):
the fault timeline applied and healed whatever ends the load, and the whole run ending inconclusive with the
stack stopped. The session's shared phases (drain, Locust supervision) are in test_session.py."""
from __future__ import annotations

import json
import math

import pytest

from fakes import CALM, FakeTarget
from faults.schedule import parse_schedule
from harness.audit.history import Backlog
from harness.errors import Exit, SetupError
from harness.run import load_and_faults, run

BUSY = Backlog(outbox_unsent=2, queue_messages=1, payments_pending=0)

ONE_FAULT = """\
[[fault]]
at = 2
for = 3
use = "kitchen_drop"
form = "down"
side = "publish"
"""


def events(ctx) -> list[str]:
    return [e["what"] for e in ctx.events]


# ---- load + faults --------------------------------------------------------------------------------------

def load(ctx, target, schedule: str | None = None):
    ctx.schedule = parse_schedule(schedule, "t.toml") if schedule else None
    load_and_faults(ctx, target)


def test_load_applies_and_heals_the_timeline_on_time(run_ctx, clock, fake_locusts, locust_script):
    locust_script.runs_for = 12
    target = FakeTarget()
    load(run_ctx, target, ONE_FAULT)
    assert [(s.action, s.fault) for s in run_ctx.stamps] == [("apply", "kitchen_drop"), ("heal", "kitchen_drop")]
    apply, heal = run_ctx.stamps
    assert 2 <= apply.elapsed < 2.5 and 5 <= heal.elapsed < 5.5
    assert target.toxiproxy.ever_faulted and target.toxiproxy.clean
    assert run_ctx.load_launched_wall <= run_ctx.load_started_wall <= run_ctx.load_ended_wall
    assert events(run_ctx) == ["load started"] and fake_locusts[0].stopped


def test_the_timeline_starts_when_locust_reports_diners_not_when_it_was_launched(run_ctx, clock, fake_locusts,
                                                                                locust_script):
    locust_script.boot_s, locust_script.runs_for = 4.0, 12
    load(run_ctx, FakeTarget(), ONE_FAULT)
    boot = run_ctx.events[0]["boot_s"]
    assert 4.0 <= boot < 4.5
    assert run_ctx.load_started_wall - run_ctx.load_launched_wall == pytest.approx(boot, abs=0.01)
    assert 2 <= run_ctx.stamps[0].elapsed < 2.5      # elapsed counts from the first diners


def test_a_service_dying_mid_fault_still_heals_everything(run_ctx, clock, fake_locusts, locust_script):
    """The kitchen dies while kitchen_drop is applied: the error names it, the fault is healed (and stamped),
    Locust is stopped, and the phase stays 'load' (the healing does not hide what ended the load)."""
    locust_script.runs_for = math.inf
    target = FakeTarget(deaths={14: ["kitchen"]})      # ~3.5 s of load at 0.25 s a poll: inside the fault window
    with pytest.raises(SetupError, match=r"stack service kitchen died at \d+\.\ds of load"):
        load(run_ctx, target, ONE_FAULT)
    assert [s.action for s in run_ctx.stamps] == ["apply", "heal"]
    assert target.toxiproxy.ever_faulted and target.toxiproxy.clean
    assert fake_locusts[0].stopped and run_ctx.phase == "load"
    assert run_ctx.load_ended_wall is not None


def test_locust_that_fails_to_start_is_named_with_its_exit_code(run_ctx, clock, fake_locusts, locust_script):
    locust_script.runs_for, locust_script.exit_code, locust_script.writes_ledger = 0.0, 1, False
    target = FakeTarget()
    with pytest.raises(SetupError, match=r"Locust exited with code 1: see logs/locust.log"):
        load(run_ctx, target, ONE_FAULT)
    assert run_ctx.stamps == [] and target.toxiproxy.clean   # no fault was ever due


def test_locust_that_writes_no_ledger_is_a_setup_error(run_ctx, clock, fake_locusts, locust_script):
    locust_script.writes_ledger = False
    with pytest.raises(SetupError, match="Locust wrote no ledger"):
        load(run_ctx, FakeTarget())


def test_locust_that_never_stops_is_cut_off(run_ctx, clock, fake_locusts, locust_script):
    locust_script.runs_for = math.inf
    with pytest.raises(SetupError, match=r"Locust did not stop \d+s after the load began"):
        load(run_ctx, FakeTarget())
    assert fake_locusts[0].stopped


def test_diners_that_never_show_up_do_not_hold_the_timeline_forever(run_ctx, clock, fake_locusts, locust_script):
    locust_script.boot_s, locust_script.runs_for = math.inf, 30
    load(run_ctx, FakeTarget(), ONE_FAULT)
    assert 20 <= run_ctx.events[0]["boot_s"] < 21               # gave up waiting for diners after 20 s
    assert [s.action for s in run_ctx.stamps] == ["apply", "heal"]


# ---- the whole run --------------------------------------------------------------------------------------

def test_a_run_whose_service_dies_is_inconclusive_and_stops_the_stack(run_options, clock, fake_locusts,
                                                                     locust_script, monkeypatch):
    import harness.run as run_mod
    from harness.progress import Progress

    locust_script.runs_for = math.inf
    target = FakeTarget(deaths={10: ["orders"]})
    monkeypatch.setattr(run_mod, "make_target", lambda options: target)
    code = run(run_options, Progress(quiet=True))
    assert code == Exit.INCONCLUSIVE
    assert target.up_count == 1 and not target.is_up                 # stopped
    run_dir = next((run_options.out_root).iterdir())
    said = json.loads((run_dir / "summary.json").read_text())["inconclusive"]
    assert any("load: stack service orders died at" in s for s in said), said
    assert not target.logs_collected                                 # never reached the final reads


def test_a_run_that_drains_saves_its_final_reads_and_logs(run_options, clock, fake_locusts, locust_script,
                                                          monkeypatch):
    import harness.run as run_mod
    from harness.progress import Progress

    locust_script.runs_for = 12
    target = FakeTarget(backlogs=[BUSY, CALM])
    monkeypatch.setattr(run_mod, "make_target", lambda options: target)
    run(run_options, Progress(quiet=True))
    run_dir = next((run_options.out_root).iterdir())
    assert (run_dir / "final_reads.json").exists() and target.logs_collected and not target.is_up
    phases = [e["what"] for e in json.loads((run_dir / "run.json").read_text())["events"]]
    assert phases == ["probe", "load started", "drained"]


def test_the_fake_target_offers_everything_the_target_protocol_asks():
    """When the Target protocol grows (issue 14 item 2), this names what the fake must learn."""
    from harness.targets import Target

    asked = {n for n in vars(Target) if not n.startswith("_")} | set(Target.__annotations__)
    assert asked - set(dir(FakeTarget(diner_url="http://127.0.0.1:9"))) == set()
