"""Runs the capacity search against a target: up → probe → [fault on] → one Locust child per step → heal →
drain → final reads → audit over the whole ledger → capacity report.

One Locust child per step keeps every step's numbers clean (its own stats history, ledger and warm-up), lets
the search stop as soon as a step clearly fails, and lets a bisection or a (longer) confirmation step run at any
load; the machine's speed is probed while each step runs (capacity/speed.py). A correctness
failure anywhere in the ledger outranks the capacity: exit 1, and the report says so; a ledger known to be
incomplete makes the search inconclusive (3), never a stack failure.
"""
from __future__ import annotations

import json
import os
import time
from contextlib import ExitStack
from dataclasses import asdict

from harness.audit.engine import audit
from harness.capacity.context import CapacityContext, CapacityOptions, new_run_dir
from harness.capacity.ledgers import merge_step_ledgers
from harness.capacity.search import Outcome, StepResult, conclude, next_step
from harness.capacity.step import db_conn, run_step
from harness.errors import Exit
from harness.finish import load_ledger
from harness.progress import Progress
from harness.session import run_session, settle, signals_deferred
from harness.targets import make_target

__all__ = ["CapacityOptions", "capacity"]

STALL_S = 5.0   # between steps, a backlog that has not shrunk for this long is not waited for (a held fault)


def capacity(options: CapacityOptions, progress: Progress | None = None) -> Exit:
    """Run the search and write the report; the exit code follows DESIGN.md (1 beats a capacity, a ledger known
    to be incomplete makes it 3)."""
    target = make_target(options)   # bad usage (target config) fails before any run folder exists
    run_dir = new_run_dir(options)
    ctx = CapacityContext(options, run_dir, progress or Progress.for_terminal())
    (run_dir / "capacity.json").write_text(json.dumps(
        {**asdict(options), "under": options.under.text if options.under else None,
         "run_dir": str(run_dir)}, indent=2, default=str))
    reads = run_session(ctx, target, lambda: _search_under(ctx, target))
    with signals_deferred():   # the stack is down; let the (partial) report be written whole
        return _conclude(ctx, reads)


def _conclude(ctx: CapacityContext, reads) -> Exit:
    from harness.capacity.report import write_capacity_reports

    run_dir = ctx.run_dir
    merge_step_ledgers(run_dir, [run_dir / "steps" / d for d in sorted(os.listdir(run_dir / "steps"))]
                       if (run_dir / "steps").is_dir() else [])
    entries, problems = load_ledger(run_dir)   # merged: its meta sums the steps' (no per-worker nodes)
    untrusted = problems if ctx.raw else []
    inconclusive = ctx.inconclusive + untrusted
    if reads is None and not inconclusive:
        inconclusive.append("no final reads")
    result = audit(entries, reads) if ctx.raw else None
    results = ctx.judged()
    outcome = conclude(results)
    reports = write_capacity_reports(ctx, results, outcome, result, inconclusive, untrusted_ledger=untrusted)
    _print(ctx, results, outcome, reports)
    return reports.exit_code


def _print(ctx: CapacityContext, results: list[StepResult], outcome: Outcome, reports) -> None:
    say = ctx.progress.line
    for line in reports.lines:
        say(line)
    say(f"exit {int(reports.exit_code)} ({reports.exit_code.name.lower()}); report in {reports.html}")


# ---- phases ----------------------------------------------------------------------------------------------

def _search_under(ctx: CapacityContext, target) -> None:
    """The session's load: the search's steps, with the --under fault held over all of them."""
    opts = ctx.options
    roots = target.process_roots()
    with ExitStack() as weather:
        if opts.under is not None:
            ctx.phase = "fault"
            _hold_fault(ctx, target, weather)
        ctx.phase = "search"
        ctx.load_started_wall = time.time()
        _search(ctx, target, roots)
    ctx.load_ended_wall = time.time()
    if ctx.fault_window is not None:
        ctx.fault_window = (ctx.fault_window[0], time.time())


def _hold_fault(ctx: CapacityContext, target, stack: ExitStack) -> None:
    """Apply the --under fault now; heal it (and reset Toxiproxy) when `stack` closes."""
    from faults.registry import get

    under = ctx.options.under
    assert under is not None
    fault = get(under.fault)
    from faults.actuators import Actuators

    client = target.fault_client()
    acts = Actuators(links=client, processes=target.process_control(), gateway=target.gateway_control())
    ctx.progress.phase("fault", f"{under.text} held for the whole search")
    plan = fault.apply(acts, under.params, tag="capacity")

    def heal() -> None:
        try:
            fault.heal(acts, plan)
        finally:
            client.reset()
        ctx.event("healed", fault=under.text)

    stack.callback(heal)
    ctx.fault_detail = plan.summary()
    ctx.fault_window = (time.time(), None)
    ctx.event("applied", fault=under.text, detail=ctx.fault_detail)


def _search(ctx: CapacityContext, target, roots: dict[str, int]) -> None:
    opts = ctx.options
    began = time.monotonic()
    with ExitStack() as stack:
        conn = db_conn(target)
        if conn is not None:
            stack.callback(conn.close)
        while True:
            results = ctx.judged()
            nxt = next_step(opts.plan, results)
            if nxt is None:
                _note_unconfirmed(ctx, results)
                return
            if results:
                _settle(ctx, target, results[-1])
            if results and time.monotonic() - began + opts.seconds_of(nxt.kind) + 10 > opts.budget_s:
                ctx.notes.append(f"time budget of {opts.budget_s:.0f} s reached after {len(results)} steps"
                                 + (f": the knee at {nxt.users} diners was not confirmed (raise --budget)"
                                    if nxt.kind == "confirm" else ""))
                _note_unconfirmed(ctx, results)
                return
            raw = run_step(ctx, target, nxt, len(ctx.raw) + 1, roots, conn)
            ctx.raw.append(raw)
            if len(ctx.raw) == 1 and opts.under is not None and not opts.slo_absolute:
                # the fault's own latency (a 3G round trip) is not the stack's doing: judge what load adds to it
                ctx.floors = (raw.p50_place_ms or 0.0, raw.p50_pay_ms or 0.0)
            j = ctx.judged()[-1]
            verdict = "pass" if j.passed else ("FAIL" + (" (clear)" if j.clear else ""))
            ctx.progress.line(
                f"  step {j.index:2d} {j.kind:<7} {j.users:4d} diners: served {j.served_ops:6.1f}/s "
                f"(offered {j.offered_ops or 0:6.1f}/s), p95 place {_ms(j.p95_place_ms)}, pay {_ms(j.p95_pay_ms)}, "
                f"errors {(j.error_rate or 0):.1%}  {verdict}{': ' + '; '.join(j.why) if j.why else ''}")


def _note_unconfirmed(ctx: CapacityContext, results: list[StepResult]) -> None:
    """Say so when the knee rests on one short step although confirmations were asked for."""
    knee = conclude(results).knee
    failed = [r for r in results if r.kind == "confirm" and not r.passed]
    for r in failed:
        ctx.notes.append(f"step {r.index}: {r.users} diners failed their {r.window_s:.0f} s confirmation "
                         f"({'; '.join(r.why)}), so the knee moved below them")
    if knee is not None and knee.kind != "confirm" and failed:
        left = len(failed) >= ctx.options.plan.confirm_rounds
        ctx.notes.append(f"the knee at {knee.users} diners rests on one {knee.window_s:.0f} s step: "
                         f"{len(failed)} confirmation(s) failed" + (", none is left (--confirm-rounds)" if left else ""))


def _settle(ctx: CapacityContext, target, last: StepResult) -> None:
    """Let the backlog a step left (an overloaded step leaves outbox rows, kitchen messages and pending payments)
    empty before the next step, so each step measures its own load and not the last one's leftovers."""
    if ctx.options.settle_s <= 0:
        return
    ctx.phase = "settle"
    done = settle(target, ctx.options.settle_s, f"settle after step {last.index}", stall_s=STALL_S)
    ctx.phase = "search"
    if not done.calm:
        b = done.backlog
        ctx.notes.append(f"after step {last.index} the backlog did not empty ({done.seconds:.0f} s; outbox "
                         f"{b.outbox_unsent}, kitchen queue {b.queue_messages}, payments pending "
                         f"{b.payments_pending}): step {last.index + 1} began on it")
    elif done.seconds >= 2.0:
        ctx.progress.line(f"  settled in {done.seconds:.0f} s after step {last.index}")


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f} ms"
