"""The run session's phases (harness/session.py) on the fake target, a fake Locust and a virtual clock
(tests/fakes.py): drain counting, Locust supervision (start-up failure, a dead service, the hard stop, the
`ended` hook healing before Locust is stopped, also on an exception), the whole session guarded (Ctrl-C and
errors → inconclusive, the stack stopped), and capacity driven through the same session. No process, no sleep."""
from __future__ import annotations

import json
import math
import signal

import pytest

from fakes import CALM, FakeTarget
from faults.errors import FaultError
from harness.audit.history import Backlog, FinalReads, OrderRow
from harness.errors import Exit, SetupError
from harness.loadgen import LoadSpec
from harness.session import LoadWatch, drain, run_session, watch_load

BUSY = Backlog(outbox_unsent=2, queue_messages=1, payments_pending=0)


def events(ctx) -> list[str]:
    return [e["what"] for e in ctx.events]


def spec(duration_s: float = 10.0) -> LoadSpec:
    return LoadSpec(host="http://127.0.0.1:9", duration_s=duration_s, users=4, spawn_rate=4, seed=1)


# ---- drain ----------------------------------------------------------------------------------------------

def test_drain_ends_after_three_calm_polls_in_a_row(run_ctx, clock):
    target = FakeTarget(backlogs=[BUSY, CALM, CALM, BUSY, CALM, CALM, CALM, BUSY])
    drain(run_ctx, target)
    assert target.backlog_polls == 7          # the calm pair before the last busy poll did not count
    assert events(run_ctx) == ["drained"] and run_ctx.phase == "drain"


@pytest.mark.parametrize("settled", [Backlog(0, 0, 1), Backlog(0, 1, 0), Backlog(1, 0, 0)])
def test_drain_waits_for_each_of_outbox_queue_and_payments(run_ctx, clock, settled):
    drain(run_ctx, FakeTarget(backlogs=[settled]))
    assert events(run_ctx) == ["drain deadline passed"]
    assert run_ctx.events[-1]["backlog"] == {"outbox_unsent": settled.outbox_unsent,
                                             "queue_messages": settled.queue_messages,
                                             "payments_pending": settled.payments_pending}


def test_drain_gives_up_at_the_profile_deadline(run_ctx, clock):
    target = FakeTarget(backlogs=[BUSY])
    start = clock.now
    drain(run_ctx, target)
    deadline = run_ctx.options.profile.drain_deadline_s
    assert events(run_ctx) == ["drain deadline passed"]
    assert deadline <= clock.now - start < deadline + 1      # virtual seconds: bounded by the deadline
    assert abs(target.backlog_polls - (deadline / 0.5 + 1)) <= 2      # a poll every 0.5 s, and one at the end


def test_a_service_dying_during_the_drain_is_named(run_ctx, clock):
    target = FakeTarget(backlogs=[BUSY], deaths={3: ["kitchen"]})
    with pytest.raises(SetupError, match=r"stack service kitchen died .* into the drain: see logs/kitchen.log"):
        drain(run_ctx, target)
    assert target.backlog_polls == 2


# ---- Locust supervision ---------------------------------------------------------------------------------

def test_a_dead_service_ends_the_load_and_ended_runs_before_locust_is_stopped(run_ctx, clock, fake_locusts,
                                                                              locust_script):
    locust_script.runs_for = math.inf
    seen: list[bool] = []
    watch = LoadWatch("load (step 2)", ended=lambda: seen.append(fake_locusts[0].stopped))
    with pytest.raises(SetupError, match=r"stack service orders died at \d+\.\ds of load \(step 2\): "
                                         r"see logs/orders.log"):
        watch_load(run_ctx, FakeTarget(deaths={5: ["orders"]}), spec(), run_ctx.run_dir, watch)
    assert seen == [False] and fake_locusts[0].stopped     # healed while Locust still ran, then Locust stopped


def test_an_exception_in_the_callers_tick_still_runs_ended_and_stops_locust(run_ctx, clock, fake_locusts,
                                                                           locust_script):
    locust_script.runs_for = math.inf
    ended: list[str] = []

    def tick(elapsed: float):
        if elapsed > 2:
            raise FaultError("kitchen_drop did not apply")
        return ["kitchen_drop"]
    with pytest.raises(FaultError, match="did not apply"):
        watch_load(run_ctx, FakeTarget(), spec(), run_ctx.run_dir,
                   LoadWatch(tick=tick, ended=lambda: ended.append("x")))
    assert ended == ["x"] and fake_locusts[0].stopped


def test_locust_that_fails_to_start_names_its_code_and_its_log_under_the_run_folder(run_ctx, clock, fake_locusts,
                                                                                    locust_script):
    locust_script.runs_for, locust_script.exit_code, locust_script.writes_ledger = 0.0, 2, False
    step_dir = run_ctx.run_dir / "steps" / "01-5u"
    step_dir.mkdir(parents=True)
    ended: list[int] = []
    with pytest.raises(SetupError, match=r"^Locust exited with code 2: see steps/01-5u/logs/locust.log$"):
        watch_load(run_ctx, FakeTarget(), spec(), step_dir, LoadWatch(ended=lambda: ended.append(1)))
    assert ended == [1]


@pytest.mark.parametrize("needs_ledger", [True, False])
def test_a_missing_ledger_is_an_error_only_when_the_load_needs_one(run_ctx, clock, fake_locusts, locust_script,
                                                                   needs_ledger):
    locust_script.writes_ledger = False
    if needs_ledger:
        with pytest.raises(SetupError, match="Locust wrote no ledger: see logs/locust.log"):
            watch_load(run_ctx, FakeTarget(), spec(), run_ctx.run_dir, LoadWatch())
    else:
        locust = watch_load(run_ctx, FakeTarget(), spec(), run_ctx.run_dir, LoadWatch(needs_ledger=False))
        assert locust is fake_locusts[0]


def test_locust_that_never_stops_is_cut_off_after_its_run_time_and_stop_timeout(run_ctx, clock, fake_locusts,
                                                                                locust_script):
    locust_script.runs_for = math.inf
    start = clock.now
    with pytest.raises(SetupError, match=r"Locust did not stop 100s after the load began"):
        watch_load(run_ctx, FakeTarget(), spec(10.0), run_ctx.run_dir, LoadWatch())   # 10 + 30 stop + 60
    assert 100 < clock.now - start < 110 and fake_locusts[0].stopped


def test_the_first_load_of_a_session_sets_its_walls_and_later_loads_keep_them(run_ctx, clock, fake_locusts,
                                                                              locust_script):
    locust_script.boot_s = 3.0
    watch_load(run_ctx, FakeTarget(), spec(), run_ctx.run_dir, LoadWatch())
    first = (run_ctx.load_launched_wall, run_ctx.load_started_wall)
    assert first[1] - first[0] == pytest.approx(run_ctx.events[0]["boot_s"], abs=0.01) and first[1] > first[0]
    (run_ctx.run_dir / "ledger.jsonl").unlink()
    watch_load(run_ctx, FakeTarget(), spec(), run_ctx.run_dir, LoadWatch())
    assert (run_ctx.load_launched_wall, run_ctx.load_started_wall) == first
    assert events(run_ctx) == ["load started", "load started"]


# ---- the whole session ------------------------------------------------------------------------------------

def test_a_session_that_drains_saves_its_final_reads_and_logs(run_ctx, clock):
    reads = FinalReads((OrderRow("o1", "k1", "PAID", (), 100, 1.0),), (), ())
    target = FakeTarget(backlogs=[BUSY, CALM], reads=reads)
    loaded: list[bool] = []
    got = run_session(run_ctx, target, lambda: loaded.append(target.is_up))
    assert got == reads and loaded == [True] and target.ctx is run_ctx
    assert FinalReads.from_json((run_ctx.run_dir / "final_reads.json").read_text()) == reads
    assert target.logs_collected and not target.is_up and events(run_ctx) == ["probe", "drained"]
    assert run_ctx.inconclusive == []


def test_ctrl_c_during_the_load_is_inconclusive_and_stops_the_stack(run_ctx, clock):
    target = FakeTarget()

    def load() -> None:
        run_ctx.phase = "load"
        signal.raise_signal(signal.SIGINT)     # the real guard turns it into Interrupted here
        raise AssertionError("not reached")
    assert run_session(run_ctx, target, load) is None
    assert run_ctx.inconclusive == ["interrupted by SIGINT during load"]
    assert target.up_count == 1 and not target.is_up and not target.logs_collected
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler     # the guard is gone again


def test_a_dinerush_error_in_any_phase_is_inconclusive_naming_the_phase(run_ctx, clock):
    target = FakeTarget(backlogs=[BUSY], deaths={2: ["relay"]})
    assert run_session(run_ctx, target, lambda: None) is None
    assert len(run_ctx.inconclusive) == 1 and run_ctx.inconclusive[0].startswith("drain: stack service relay died")
    assert not target.is_up


def test_a_bug_in_the_harness_is_not_swallowed_but_the_stack_is_still_stopped(run_ctx, clock):
    target = FakeTarget()
    with pytest.raises(ZeroDivisionError):
        run_session(run_ctx, target, lambda: 1 / 0)
    assert not target.is_up


# ---- capacity through the same session ---------------------------------------------------------------------

def capacity_run(tmp_path, monkeypatch, target):
    import harness.capacity.driver as driver
    from harness.capacity.context import CapacityOptions
    from harness.capacity.search import SearchPlan
    from harness.progress import Progress

    monkeypatch.setattr(driver, "make_target", lambda options: target)
    opts = CapacityOptions(plan=SearchPlan(4, 4, 2, 0), step_seconds=10, out_root=tmp_path / "runs")
    code = driver.capacity(opts, Progress(quiet=True))
    run_dir = next((tmp_path / "runs").iterdir())
    return code, run_dir, json.loads((run_dir / "summary.json").read_text())


def test_a_capacity_step_whose_service_dies_is_inconclusive_and_stops_the_stack(tmp_path, monkeypatch, clock,
                                                                                fake_locusts, locust_script):
    locust_script.runs_for = math.inf
    target = FakeTarget(deaths={4: ["kitchen"]})
    code, run_dir, summary = capacity_run(tmp_path, monkeypatch, target)
    assert code == Exit.INCONCLUSIVE and not target.is_up and len(fake_locusts) == 1 and fake_locusts[0].stopped
    assert any(s.startswith("search: stack service kitchen died at") and "of load (step 1)" in s
               for s in summary["inconclusive"]), summary["inconclusive"]


def test_a_capacity_step_whose_locust_fails_names_the_steps_log(tmp_path, monkeypatch, clock, fake_locusts,
                                                                locust_script):
    locust_script.runs_for, locust_script.exit_code = 0.0, 1
    code, _, summary = capacity_run(tmp_path, monkeypatch, FakeTarget())
    assert code == Exit.INCONCLUSIVE
    assert summary["inconclusive"] == ["search: Locust exited with code 1: see steps/01-4u/logs/locust.log"]
