"""The driver's pure parts: the --under flag and merging the steps' ledgers into one run ledger."""
from __future__ import annotations

import json

import pytest

from fakes import FakeTarget

from harness.audit.history import Backlog
from harness.capacity.context import CapacityContext, CapacityOptions
from harness.capacity.driver import _settle
from harness.capacity.search import StepResult
from harness.capacity.ledgers import merge_step_ledgers
from harness.capacity.under import parse_under
from harness.errors import UsageError
from harness.finish import load_ledger
from scenarios.ledger import Item, LedgerEntry, Told


def test_under_takes_the_first_param_as_shorthand():
    u = parse_under("weak_network:3g")
    assert u.fault == "weak_network" and u.params.preset == "3g"


def test_under_takes_named_params_with_their_types():
    u = parse_under("gateway_slow:delay_ms=800")
    assert u.fault == "gateway_slow" and u.params.delay_ms == 800
    assert parse_under("db_stall").fault == "db_stall"


@pytest.mark.parametrize("bad,says", [("nope", "unknown fault"), ("weak_network:5g", "choose one of"),
                                      ("gateway_slow:delay_ms=fast", "must be int"),
                                      ("gateway_slow:speed=3", "not PARAM=VALUE")])
def test_under_refuses_bad_input(bad, says):
    with pytest.raises(UsageError, match=says):
        parse_under(bad)


def test_options_validate_and_name_the_run():
    with pytest.raises(UsageError, match="--step-seconds"):
        CapacityOptions(step_seconds=2)
    assert CapacityOptions(under=parse_under("weak_network:3g")).name == "capacity-under-weak_network-3g"
    assert CapacityOptions(step_seconds=25).warmup == 5 and CapacityOptions(step_seconds=10).warmup == 2


def _step(dir_, keys, conserved=True):
    dir_.mkdir(parents=True)
    entries = [LedgerEntry(key=k, kind="dine_in", items=(Item("d", 1, 100),), expected_total_cents=100,
                           order=Told.OK, order_id="o" + k) for k in keys]
    (dir_ / "ledger.jsonl").write_text("".join(e.to_json() + "\n" for e in entries))
    (dir_ / "ledger.meta.json").write_text(json.dumps({"started": len(keys), "written": len(keys),
                                                       "conserved": conserved, "complete": True}))


def test_merged_ledger_holds_every_step(tmp_path):
    _step(tmp_path / "steps" / "01-10u", ["a", "b"])
    _step(tmp_path / "steps" / "02-20u", ["c"])
    merge_step_ledgers(tmp_path, [tmp_path / "steps" / "01-10u", tmp_path / "steps" / "02-20u"])
    entries, problems = load_ledger(tmp_path)
    assert [e.key for e in entries] == ["a", "b", "c"] and problems == []


def test_a_step_without_meta_makes_the_ledger_not_whole(tmp_path):
    _step(tmp_path / "steps" / "01-10u", ["a"])
    (tmp_path / "steps" / "02-20u").mkdir(parents=True)
    merge_step_ledgers(tmp_path, [tmp_path / "steps" / "01-10u", tmp_path / "steps" / "02-20u"])
    _, problems = load_ledger(tmp_path)
    assert problems and "not whole" in problems[0]


# ---- between steps: the backlog a step left empties before the next one ---------------------------------------

LEFT = Backlog(outbox_unsent=40, queue_messages=120, payments_pending=7)
EMPTY = Backlog()


def _ctx(tmp_path, **kw) -> CapacityContext:
    from harness.progress import Progress
    return CapacityContext(CapacityOptions(**kw), tmp_path, Progress(quiet=True))


def test_the_next_step_waits_until_the_backlog_is_empty(tmp_path, clock):
    ctx, target = _ctx(tmp_path), FakeTarget(backlogs=[LEFT] * 6 + [EMPTY])
    _settle(ctx, target, StepResult(3, 160))
    assert target.backlog_polls == 9 and ctx.notes == []   # six busy polls, then three empty ones in a row


def shrinking(n: int) -> list[Backlog]:
    return [Backlog(outbox_unsent=n - i) for i in range(n)]


def test_a_backlog_that_does_not_empty_is_noted_and_the_wait_is_bounded(tmp_path, clock):
    ctx, target = _ctx(tmp_path, settle_s=10), FakeTarget(backlogs=shrinking(100))
    start = clock.now
    _settle(ctx, target, StepResult(3, 160))
    assert 10 <= clock.now - start < 11
    assert ctx.notes == ["after step 3 the backlog did not empty (10 s; outbox 80, kitchen queue 0, payments "
                         "pending 0): step 4 began on it"]


def test_a_backlog_that_stopped_shrinking_is_not_waited_for(tmp_path, clock):
    """A fault held over the search (kitchen consumer down) keeps the queue full: waiting 30 s per step for it
    would only eat the budget."""
    ctx, target = _ctx(tmp_path), FakeTarget(backlogs=shrinking(4) + [LEFT])
    start = clock.now
    _settle(ctx, target, StepResult(3, 160))
    assert clock.now - start == pytest.approx(1.5 + 5.0)   # its last new low at 1.5 s, then 5 s without one
    assert ctx.notes and ctx.notes[0].startswith("after step 3 the backlog did not empty (6 s; outbox 40")


def test_settle_zero_does_not_wait(tmp_path, clock):
    ctx, target = _ctx(tmp_path, settle_s=0), FakeTarget(backlogs=[LEFT])
    _settle(ctx, target, StepResult(3, 160))
    assert target.backlog_polls == 0 and ctx.notes == []


# ---- confirming the knee: what the notes say when it did not hold ---------------------------------------------

def _judged(ctx, *steps):
    ctx.raw.extend(steps)
    return ctx.judged()


def _step_result(index, users, kind="step", p95=100.0):
    return StepResult(index, users, kind=kind, window_s=55 if kind == "confirm" else 20, attempted_ops=users,
                      served_ops=users, p95_place_ms=p95, p95_pay_ms=p95, error_rate=0.0)


def test_a_failed_confirmation_is_noted_and_an_unconfirmed_knee_is_named(tmp_path):
    from harness.capacity.driver import _note_unconfirmed

    ctx = _ctx(tmp_path)
    results = _judged(ctx, _step_result(1, 10), _step_result(2, 20), _step_result(3, 40, p95=5000),
                      _step_result(4, 30, "bisect"), _step_result(5, 30, "confirm", p95=1500),
                      _step_result(6, 20, "confirm", p95=1200))
    _note_unconfirmed(ctx, results)
    assert ctx.notes == [
        "step 5: 30 diners failed their 55 s confirmation (p95 place 1500 ms > 1000 ms), so the knee moved below them",
        "step 6: 20 diners failed their 55 s confirmation (p95 place 1200 ms > 1000 ms), so the knee moved below them",
        "the knee at 10 diners rests on one 20 s step: 2 confirmation(s) failed, none is left (--confirm-rounds)"]


def test_a_passing_confirmation_leaves_no_note(tmp_path):
    from harness.capacity.driver import _note_unconfirmed

    ctx = _ctx(tmp_path)
    _note_unconfirmed(ctx, _judged(ctx, _step_result(1, 10), _step_result(2, 20, p95=5000),
                                   _step_result(3, 10, "confirm")))
    assert ctx.notes == []


def test_a_confirmation_holds_longer_than_a_step():
    opts = CapacityOptions(step_seconds=25, confirm_seconds=60)
    assert opts.seconds_of("step") == opts.seconds_of("bisect") == 25 and opts.seconds_of("confirm") == 60
    with pytest.raises(UsageError, match="--confirm-seconds"):
        CapacityOptions(confirm_seconds=2)
    with pytest.raises(UsageError, match=r"longer than the warm-up \(5 s\)"):
        CapacityOptions(step_seconds=25, confirm_seconds=5)


# ---- end to end: the real local stack, real Locust (short searches) -----------------------------------------

@pytest.fixture()
def out_dir(stack_dir):
    return stack_dir   # tests/conftest.py: a folder PostgreSQL and RabbitMQ can enter


def _summary(out):
    runs = [p for p in out.iterdir() if p.is_dir()]
    assert len(runs) == 1
    return runs[0], json.loads((runs[0] / "summary.json").read_text())


@pytest.mark.slow
def test_a_short_real_search_reports_a_capacity_with_numbers(out_dir):
    from harness.cli import main

    code = main(["capacity", "--quiet", "--step-seconds", "10", "--start-users", "5", "--step-users", "10",
                 "--max-steps", "3", "--bisect-rounds", "0", "--confirm-seconds", "14", "--peak", "60/min",
                 "--out", str(out_dir)])
    run, s = _summary(out_dir)
    c = s["capacity"]
    assert code == 0, (c["headline"], s["inconclusive"])
    assert c["outcome"] in ("knee", "never_failed")
    assert c["capacity_orders_per_s"] > 0 and c["knee_users"] in (5, 15, 30)   # the ladder: 5, then +10 or ×2
    assert 2 <= len(c["steps"]) <= 5 and c["confirm_seconds"] == 14
    confirm = c["steps"][-1]       # far below the knee, the first confirmation passes and is the capacity
    assert confirm["kind"] == "confirm" and confirm["users"] == c["knee_users"] and confirm["passed"]
    assert c["capacity_orders_per_s"] == pytest.approx(confirm["served_ops"], abs=1e-3)
    assert confirm["window_s"] > max(r["window_s"] for r in c["steps"][:-1])
    assert all(r["speed"] > 0 for r in c["steps"])                # the probe read every step
    assert c["machine_speed"]["knee_units_per_cpu_ms"] == pytest.approx(confirm["speed"], abs=1e-4)
    for step in c["steps"]:
        assert step["served_ops"] > 0 and step["p95_place_ms"] is not None and step["resources"]["cpu_pct"]["orders"] > 0
    assert c["headroom"]["ratio"] > 1 and "your expected peak of 1.0 orders/s" in c["headroom"]["sentence"]
    assert s["audit"]["verdict"] == "valid" and s["audit"]["intents"] > 0
    html = (run / "capacity.html").read_text()
    assert html.count("<svg") == 2 and c["headline"].split(":")[0] in html
    assert (run / "junit.xml").exists() and (run / "ledger.jsonl").exists() and (run / "final_reads.json").exists()


@pytest.mark.slow
def test_a_seeded_defect_is_reported_instead_of_a_capacity(out_dir):
    """no-idempotency: an impatient diner's double tap makes two orders, without any fault."""
    from harness.cli import main

    code = main(["capacity", "--quiet", "--bug", "no-idempotency", "--mix", "impatient=1", "--step-seconds", "10",
                 "--start-users", "10", "--max-steps", "1", "--bisect-rounds", "0", "--confirm-rounds", "0",
                 "--out", str(out_dir)])
    run, s = _summary(out_dir)
    assert code == 1
    assert s["capacity"]["outcome"] == "correctness_failure" and s["capacity"]["capacity_orders_per_s"] is None
    dup = next(c for c in s["audit"]["checks"] if c["name"] == "duplicated")
    assert dup["verdict"] == "invalid" and dup["count"] > 0
    assert "correctness failure" in (run / "capacity.html").read_text()


@pytest.mark.parametrize("conserved,code", [(True, 1), (False, 3)])
def test_a_violation_in_a_ledger_known_incomplete_makes_the_search_inconclusive_not_failed(tmp_path, conserved, code):
    """Two orders for one intent is a duplicate (exit 1) only when the ledger is whole: with an intent lost from
    the ledger, the second order may be that diner's, so the search is inconclusive (3), as a run is."""
    from harness.audit.history import FinalReads, OrderRow
    from harness.capacity.driver import _conclude
    from harness.capacity.search import StepResult
    from harness.progress import Progress

    run_dir = tmp_path / "run"
    _step(run_dir / "steps" / "01-10u", ["a"], conserved=conserved)
    ctx = CapacityContext(CapacityOptions(), run_dir, Progress(quiet=True))
    ctx.raw.append(StepResult(1, 10, window_s=8, attempted_ops=1, served_ops=1, p95_place_ms=10, p95_pay_ms=10,
                              error_rate=0.0))
    cart = (Item("d", 1, 100),)
    reads = FinalReads((OrderRow("oa", "a", "PLACED", cart, 100, 1.0), OrderRow("ob", "a", "PLACED", cart, 100, 2.0)),
                       (), ())
    assert _conclude(ctx, reads) == code
    summary = json.loads((run_dir / "summary.json").read_text())
    assert any("not whole" in s for s in summary["inconclusive"]) is (not conserved)
    assert (summary["capacity"]["outcome"] == "correctness_failure") is conserved
