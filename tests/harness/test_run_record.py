"""Typed records of a run folder: run.json (RunRecord) and ledger.meta.json (LedgerMeta) round-trip, and run
folders written before a key existed still read and re-audit (`dinerush audit RUN`)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from faults.schedule import parse_schedule
from harness.audit.evidence import ScheduledFault
from harness.errors import UsageError
from harness.profiles import MIN_PAID_CI_GATE, profile
from harness.run_record import RunRecord
from harness.report.slo import SLOConfig
from harness.session import RunOptions
from scenarios.ledger_sink import LedgerMeta, LedgerWriter, NodeCounts

REPO = Path(__file__).resolve().parents[2]
ONE_FAULT = 'name = "one"\n[[fault]]\nat = 2\nfor = 3\nuse = "kitchen_drop"\nform = "down"\nside = "publish"\n'


def test_a_run_record_round_trips_through_run_json(tmp_path):
    opts = RunOptions(profile=profile("ci-gate"), seed=3, bugs=("no-idempotency",), out_root=tmp_path,
                      workers=2, slo=SLOConfig(max_error_rate=0.05))
    rec = RunRecord.start(opts, tmp_path / "r", parse_schedule(ONE_FAULT, "one.toml"))
    assert rec.scheduled_faults == (ScheduledFault(0, "kitchen_drop", 2.0, 3.0),)
    done = RunRecord(**{**vars(rec), "load_started": 10.0, "load_ended": 90.0, "probe": "probe ok",
                        "events": ({"what": "drained", "wall": 95.0},), "extra": {"probe": "probe ok"}})
    assert RunRecord.from_json(done.to_json()) == done
    raw = json.loads(done.to_json())     # the keys earlier readers (and reports) know, with their JSON shapes
    assert raw["scheduled_faults"] == [{"entry": 0, "use": "kitchen_drop", "at": 2.0, "for": 3.0}]
    assert raw["profile"]["min_paid"] == MIN_PAID_CI_GATE and raw["slo"]["max_error_rate"] == 0.05
    assert raw["bugs"] == ["no-idempotency"] and raw["events"][0]["what"] == "drained"


def test_a_run_json_from_before_the_newer_keys_reads_with_the_values_that_run_had():
    old = RunRecord.from_dict({"profile": {"name": "ci-gate", "schedule": "ci-gate", "users": 16}, "seed": 1})
    assert old.profile.min_paid == MIN_PAID_CI_GATE        # its profile's floor, as the table has it
    assert old.scheduled_faults is None                    # cannot prove its faults: a gap, never a pass
    assert old.slo is None and old.slo_config == SLOConfig() and old.load_started is None and old.workers == 0
    calm = RunRecord.from_dict({"profile": {"name": "calm", "schedule": "none"}})
    assert calm.scheduled_faults == ()                     # a run without faults proves it had none
    unknown = RunRecord.from_dict({"profile": {"name": "mine", "users": 3}})
    assert unknown.profile.min_paid == 50 and unknown.profile.users == 3 and unknown.scheduled_faults is None


@pytest.mark.parametrize("text", ["{not json", "[1, 2]"])
def test_a_damaged_run_json_is_a_one_line_usage_error(text):
    with pytest.raises(UsageError, match=r"^r/run.json is not .*the run folder is damaged$"):
        RunRecord.from_json(text, where="r/run.json")


def test_the_ledger_meta_round_trips_and_an_old_one_reads(tmp_path):
    w = LedgerWriter(tmp_path / "ledger.jsonl", tmp_path / "ledger.meta.json", run_id="r1", seed=7)
    w.receive("local", [], started=0, recorded=0, final=True)
    meta = LedgerMeta.from_json(w.write_meta().read_text())
    assert LedgerMeta.from_json(meta.to_json()) == meta and meta.nodes == {"local": NodeCounts(final=True)}
    assert (meta.conserved, meta.complete, meta.run_id, meta.seed) == (True, True, "r1", 7)
    old = LedgerMeta.from_json('{"started": 3, "written": 3, "conserved": true}')   # before `complete`, `nodes`
    assert old.complete is True and old.nodes == {} and old.written == 3
    assert LedgerMeta.from_json("{}").conserved is False   # nothing proves it
    with pytest.raises(ValueError):
        LedgerMeta.from_json('{"nodes": {"w1": 5}}')


def test_an_old_run_folder_still_re_audits(tmp_path):
    """run.json without scheduled_faults, min_paid, slo or load times; a meta without complete or nodes; ledger
    lines without `invalid` (written before those existed): `dinerush audit RUN` judges it, and its exit is 3
    only for what an old folder cannot prove (no SLO history), never a crash."""
    from harness.audit.history import ChargeRow, FinalReads, OrderRow, TicketRow
    from scenarios.ledger import Item, LedgerEntry, Told

    d = tmp_path / "20240101-120000-calm"
    d.mkdir()
    cart, t0, n = (Item("D01", 1, 1800),), 1_700_000_000.0, 60
    lines = []
    for i in range(n):
        e = LedgerEntry(key=f"k{i}", kind="dine_in", items=cart, expected_total_cents=1800, order=Told.OK,
                        order_id=f"o{i}", payment=Told.OK, started_at=t0 + i, ended_at=t0 + i + 1, worker="local")
        raw = json.loads(e.to_json())
        del raw["invalid"]
        lines.append(json.dumps(raw))
    (d / "ledger.jsonl").write_text("\n".join(lines) + "\n")
    (d / "ledger.meta.json").write_text(json.dumps({"started": n, "written": n, "conserved": True}))
    (d / "run.json").write_text(json.dumps({"profile": {"name": "calm", "schedule": "none", "users": 10},
                                            "seed": 7, "target": "local", "bugs": []}))
    (d / "final_reads.json").write_text(FinalReads(
        tuple(OrderRow(f"o{i}", f"k{i}", "PAID", cart, 1800, t0 + i, t0 + i + 1) for i in range(n)),
        tuple(ChargeRow(f"ch{i}", f"o{i}", 1800, "captured", t0 + i) for i in range(n)),
        tuple(TicketRow(f"o{i}", cart, 1800, t0 + i + 2) for i in range(n)), read_at=t0 + 99).to_json())
    p = subprocess.run([sys.executable, "-m", "harness.cli", "audit", str(d)], cwd=REPO, capture_output=True,
                       text=True, timeout=120)
    out = p.stdout
    assert "Traceback" not in p.stderr, p.stderr
    for check in ("lost", "duplicated", "unexpected", "mismatch", "stuck", "refused"):
        assert f"ok   {check}" in out, out
    assert p.returncode == 3 and "SLO" in out.strip().splitlines()[-1]   # no Locust history: SLOs unmeasured
    assert "placed and paid end to end" not in out             # the floor (calm's 50) is met by 60 paid intents
    assert "does not list the scheduled faults" not in out      # calm: no faults, so none to prove
    summary = json.loads((d / "summary.json").read_text())
    assert summary["audit"]["intents"] == n
