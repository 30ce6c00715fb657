"""`dinerush audit RUN` on hand-made run folders: no evidence or a ledger known incomplete is exit 3, never 0
or 1, with a one-line reason (issue 11)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness.audit.history import ChargeRow, FinalReads, OrderRow, TicketRow
from harness.errors import Exit
from harness.finish import reaudit
from scenarios.ledger import Invalid, Item, LedgerEntry, Told

REPO = Path(__file__).resolve().parents[2]
CART = (Item("D01", 1, 1800),)
T0 = 1_700_000_000.0


def entry(i: int, **kw) -> LedgerEntry:
    return LedgerEntry(**{"key": f"k{i}", "kind": "dine_in", "items": CART, "expected_total_cents": 1800,
                          "order": Told.OK, "order_id": f"o{i}", "payment": Told.OK, "started_at": T0 + i,
                          "ended_at": T0 + i + 1, "worker": "local", **kw})


def paid_reads(n: int) -> FinalReads:
    return FinalReads(tuple(OrderRow(f"o{i}", f"k{i}", "PAID", CART, 1800, T0 + i, T0 + i + 1) for i in range(n)),
                      tuple(ChargeRow(f"ch{i}", f"o{i}", 1800, "captured", T0 + i) for i in range(n)),
                      tuple(TicketRow(f"o{i}", CART, 1800, T0 + i + 2) for i in range(n)), read_at=T0 + 99)


def run_folder(root: Path, entries: list[LedgerEntry], reads: FinalReads, *, meta: dict | None = None,
               min_paid: int = 0, workers: int = 0) -> Path:
    """A finished run folder: no faults scheduled, no Locust history (so its SLOs were not measured)."""
    d = root / "run"
    d.mkdir()
    (d / "run.json").write_text(json.dumps({"profile": {"name": "calm", "schedule": "none", "min_paid": min_paid},
                                            "scheduled_faults": [], "workers": workers, "load_started": T0}))
    (d / "ledger.jsonl").write_text("".join(e.to_json() + "\n" for e in entries))
    (d / "ledger.meta.json").write_text(json.dumps(meta if meta is not None else {
        "started": len(entries), "written": len(entries), "conserved": True, "complete": True,
        "nodes": {"local": {"final": True}}}))
    (d / "final_reads.json").write_text(reads.to_json())
    return d


def dinerush_audit(run_dir: Path) -> tuple[int, str]:
    p = subprocess.run([sys.executable, "-m", "harness.cli", "audit", str(run_dir)], cwd=REPO, capture_output=True,
                       text=True, timeout=120)
    return p.returncode, p.stdout.strip().splitlines()[-1]


def test_an_empty_ledger_and_empty_reads_is_inconclusive(tmp_path: Path) -> None:
    code, last = dinerush_audit(run_folder(tmp_path, [], FinalReads((), (), ()), min_paid=50))
    assert code == 3
    assert last.startswith("exit 3 (inconclusive: the ledger is empty: no diner intent was recorded (+")


def test_a_ledger_meta_saying_incomplete_is_inconclusive(tmp_path: Path) -> None:
    meta = {"started": 3, "written": 3, "conserved": True, "complete": False, "nodes": {"w1": {"final": False}}}
    code, last = dinerush_audit(run_folder(tmp_path, [entry(i) for i in range(3)], paid_reads(3), meta=meta))
    assert code == 3
    assert last.startswith("exit 3 (inconclusive: ledger not whole: 3 intents started, 3 written, a worker's "
                           "final batch is missing")


def test_an_incomplete_ledger_with_rows_of_lost_diners_is_3_not_1(tmp_path: Path, capsys) -> None:
    # Orders o3, o4 belong to diners whose entries were lost: `unexpected` fires, but cannot blame the stack.
    meta = {"started": 5, "written": 3, "conserved": False, "complete": True, "nodes": {"local": {"final": True}}}
    d = run_folder(tmp_path, [entry(i) for i in range(3)], paid_reads(5), meta=meta)
    assert reaudit(d) is Exit.INCONCLUSIVE
    out = capsys.readouterr().out
    assert "FAIL unexpected" in out and "ledger not whole: 5 intents started, 3 written" in out


def test_fewer_workers_shipped_than_ran_is_an_incomplete_ledger(tmp_path: Path, capsys) -> None:
    d = run_folder(tmp_path, [entry(i) for i in range(3)], paid_reads(3), workers=2)
    assert reaudit(d) is Exit.INCONCLUSIVE
    assert "only 1 of 2 Locust workers shipped their entries" in capsys.readouterr().out


def test_a_whole_run_without_faults_says_it_proves_steady_state_only(tmp_path: Path, capsys) -> None:
    d = run_folder(tmp_path, [entry(i) for i in range(3)], paid_reads(3), min_paid=3)
    reaudit(d)   # no Locust history here: the SLOs were not measured (3); the note is said all the same
    out = capsys.readouterr().out
    assert "note: no faults were scheduled: this run proves steady-state correctness only" in out
    summary = json.loads((d / "summary.json").read_text())
    assert summary["run"]["extra"]["evidence"].startswith("no faults were scheduled")
    assert summary["run"]["extra"]["paid_end_to_end"] == "3"
    assert "SLO p95 place latency was not measured (no result)" in summary["inconclusive"]


def test_a_refusal_of_a_valid_cart_fails_the_audit(tmp_path: Path, capsys) -> None:
    stale = entry(9, order=Told.FAIL, order_id=None, payment=None, order_reason="http 422",
                  invalid=(Invalid.STALE_MENU,))
    valid = entry(8, order=Told.FAIL, order_id=None, payment=None, order_reason="http 422: unknown dish")
    d = run_folder(tmp_path, [entry(i) for i in range(3)] + [stale, valid], paid_reads(3))
    assert reaudit(d) is Exit.INVARIANT
    line = next(x for x in capsys.readouterr().out.splitlines() if "refused" in x)
    assert line.split()[:3] == ["FAIL", "refused", "1"] and "k8: valid cart answered http 422: unknown dish" in line


def test_a_scheduled_fault_that_never_applied_is_inconclusive(tmp_path: Path, capsys) -> None:
    d = run_folder(tmp_path, [entry(i) for i in range(3)], paid_reads(3))
    run = json.loads((d / "run.json").read_text())
    run["scheduled_faults"] = [{"entry": 0, "use": "kitchen_drop", "at": 64, "for": 5}]
    (d / "run.json").write_text(json.dumps(run))
    (d / "timeline.json").write_text("[]")          # the load ended before it was due
    assert reaudit(d) is Exit.INCONCLUSIVE
    assert "inconclusive: fault #1 kitchen_drop (at 64 s for 5 s) was never applied" in capsys.readouterr().out


def test_final_reads_that_cannot_be_read_are_inconclusive_naming_the_file(tmp_path: Path, capsys) -> None:
    """A null row (or any text that is not final reads) is a run without evidence: exit 3, one line naming the
    file, never a crash of the loader."""
    d = run_folder(tmp_path, [entry(i) for i in range(3)], paid_reads(3))
    text = (d / "final_reads.json").read_text()
    for broken in (text.replace('{"order_id":"o1"', 'null,{"order_id":"o1"', 1), "not json at all\n"):
        (d / "final_reads.json").write_text(broken)
        assert reaudit(d) is Exit.INCONCLUSIVE
        out = capsys.readouterr().out
        assert "final_reads.json is not readable final reads" in out and "run again" in out
        assert "no final reads" not in out


def test_a_null_row_in_final_reads_via_the_cli_is_exit_3_not_a_traceback(tmp_path: Path) -> None:
    d = run_folder(tmp_path, [entry(i) for i in range(3)], paid_reads(3))
    (d / "final_reads.json").write_text((d / "final_reads.json").read_text().replace('{"order_id":"o1"',
                                                                                     'null,{"order_id":"o1"', 1))
    code, last = dinerush_audit(d)
    assert code == 3 and "final_reads.json is not readable final reads (TypeError" in last
