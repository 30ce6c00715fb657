"""The final reads' columnar copy (harness.audit.readsdump): the table the JSON parses to, loaded only when it matches
the JSON next to it; a stale, damaged, foreign or unreadable copy, or none, gives the audit of the JSON."""
from __future__ import annotations

import json
import shutil

import pytest
from auditbuild import CART_TOTAL, History
from runfolder import audit_folder, write_folder
from test_columnar import random_history

import harness.finish
from harness.audit import columnar, readsdump
from harness.errors import Exit
from harness.finish import reaudit


def table_r(run_dir, copy):
    """The fast path's table r of a run folder, from the copy or parsed from the JSON: (rows, column types)."""
    con = columnar.connect(run_dir)
    try:
        columnar._read_reads(con, run_dir / "final_reads.json", copy)
        return con.execute("SELECT * FROM r ORDER BY rowid").fetchall(), con.execute("DESCRIBE r").fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("seed", range(20))
def test_the_copy_is_the_table_the_json_parses_to(tmp_path, seed):
    run_dir = write_folder(tmp_path / "run", random_history(seed))
    copy = readsdump.matching_copy(run_dir / "final_reads.json")
    assert copy is not None
    from_copy, from_json = table_r(run_dir, copy), table_r(run_dir, None)
    assert len(from_copy[0]) > 10 and from_copy == from_json


def test_a_matching_copy_is_loaded_instead_of_parsing_the_json(tmp_path, monkeypatch):
    h = random_history(1)
    parsed = []
    real = columnar._lines_of
    monkeypatch.setattr(columnar, "_lines_of", lambda path: parsed.append(path.name) or real(path))
    for copy in (True, False):
        parsed.clear()
        run_dir = write_folder(tmp_path / f"run-{copy}", h, copy=copy)
        assert audit_folder(run_dir, h, fast=True).loaded.clean is not None
        assert parsed == (["ledger.jsonl"] if copy else ["ledger.jsonl", "final_reads.json"])


def base() -> History:
    return History().paid("k1").placed("k2").paid("k3")


def test_a_copy_of_a_json_edited_since_is_not_trusted(tmp_path, monkeypatch):
    """The ticket total of o1 edited in the JSON (same length, so only the digest tells): the copy still says the
    ticket matches; trusted, it would hide the mismatch the JSON shows."""
    h = base()
    run_dir = write_folder(tmp_path / "run", h)
    path = run_dir / "final_reads.json"
    text = path.read_text()
    at = text.index('{"order_id":"o1","items"')
    line = text[at:text.index("\n", at)]
    edited = line.replace(f'"total_cents":{CART_TOTAL}', f'"total_cents":{CART_TOTAL + 1}')
    assert edited != line and len(edited) == len(line)
    path.write_text(text.replace(line, edited))
    assert readsdump.matching_copy(path) is None
    fast, slow = audit_folder(run_dir, h, fast=True), audit_folder(run_dir, h, fast=False)
    assert fast.loaded.clean is not None and fast.same_as(slow) == []
    assert [c.count for c in slow.result.checks if c.name == "mismatch"] == [1]
    # Not vacuous: trusting the stale copy would give another verdict.
    monkeypatch.setattr(harness.finish, "matching_copy", lambda p: p.with_name(readsdump.COPY_NAME))
    assert audit_folder(run_dir, h, fast=True).same_as(slow) != []


@pytest.mark.parametrize("key", ["format", "sql_sha256", "duckdb", "json_size", "json_sha256", "copy_sha256"])
def test_a_copy_whose_meta_disagrees_in_any_field_is_not_trusted(tmp_path, key):
    run_dir = write_folder(tmp_path / "run", base())
    meta_path = run_dir / readsdump.META_NAME
    meta = json.loads(meta_path.read_text())
    assert readsdump.matching_copy(run_dir / "final_reads.json") is not None
    meta[key] = meta[key] + 1 if isinstance(meta[key], int) else meta[key] + "x"
    meta_path.write_text(json.dumps(meta))
    assert readsdump.matching_copy(run_dir / "final_reads.json") is None


def test_a_copy_made_under_another_id_surrogate_is_not_trusted(tmp_path, monkeypatch):
    """The copy holds surrogates: made with one ID_HASH, it cannot be joined with a ledger hashed by another."""
    run_dir = write_folder(tmp_path / "run", base())
    monkeypatch.setattr(columnar, "ID_HASH", "hash({0} || 'x')")
    assert readsdump.matching_copy(run_dir / "final_reads.json") is None


@pytest.mark.parametrize("damage", ["a byte flipped", "cut short", "missing", "no meta file", "meta not JSON",
                                    "another run's copy"])
def test_a_damaged_or_foreign_copy_gives_the_audit_of_the_json(tmp_path, damage):
    h = base()
    run_dir = write_folder(tmp_path / "run", h)
    copy, meta = run_dir / readsdump.COPY_NAME, run_dir / readsdump.META_NAME
    data = copy.read_bytes()
    if damage == "a byte flipped":
        copy.write_bytes(data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 1]) + data[len(data) // 2 + 1:])
    elif damage == "cut short":
        copy.write_bytes(data[:-100])
    elif damage == "missing":
        copy.unlink()
    elif damage == "no meta file":
        meta.unlink()
    elif damage == "meta not JSON":
        meta.write_text("{")
    else:
        other = write_folder(tmp_path / "other", History().paid("k1").placed("k2"))
        for name in (readsdump.COPY_NAME, readsdump.META_NAME):
            shutil.copy(other / name, run_dir / name)
    assert readsdump.matching_copy(run_dir / "final_reads.json") is None
    fast, slow = audit_folder(run_dir, h, fast=True), audit_folder(run_dir, h, fast=False)
    assert fast.loaded.clean is not None and fast.same_as(slow) == []


def test_a_copy_that_matches_but_cannot_be_read_falls_back_to_the_json(tmp_path, monkeypatch):
    """Past the digests, DuckDB failing on the copy still leaves the fast path: it parses the JSON."""
    h = base()
    run_dir = write_folder(tmp_path / "run", h)
    (run_dir / "junk.parquet").write_text("not parquet")
    monkeypatch.setattr(harness.finish, "matching_copy", lambda p: p.with_name("junk.parquet"))
    fast, slow = audit_folder(run_dir, h, fast=True), audit_folder(run_dir, h, fast=False)
    assert fast.loaded.clean is not None and fast.same_as(slow) == []


@pytest.mark.parametrize("case", ["an empty table", "a system the target lacks", "DuckDB failing"])
def test_reads_the_fast_path_declines_or_a_failing_copy_leave_the_json_alone(tmp_path, monkeypatch, case):
    h = base()
    if case == "an empty table":
        h.tickets.clear()
    elif case == "a system the target lacks":
        h.without("tickets")
    else:
        monkeypatch.setattr(readsdump, "_copy_to", lambda tmp, lines: (tmp.write_text("half"), 1 / 0))
    run_dir = write_folder(tmp_path / "run", h)
    assert readsdump.FinalReads.read(run_dir / "final_reads.json") == h.reads
    assert sorted(p.name for p in run_dir.iterdir()) == ["final_reads.json", "ledger.jsonl", "ledger.meta.json"]


def test_rewriting_the_json_removes_the_copy_of_the_old_one(tmp_path):
    run_dir = write_folder(tmp_path / "run", base())
    readsdump.write_json(run_dir, History().paid("k1").reads.to_json().encode())
    assert not (run_dir / readsdump.COPY_NAME).exists() and not (run_dir / readsdump.META_NAME).exists()


def _run_json(run_dir, h: History) -> None:
    (run_dir / "run.json").write_text(json.dumps({
        "profile": {"name": "calm", "schedule": "none", "min_paid": 1}, "scheduled_faults": [], "workers": 0,
        "load_started": min(e.started_at for e in h.entries)}))


@pytest.mark.parametrize("seed", [2, 5])
def test_dinerush_audit_gives_the_same_verdict_with_and_without_the_copy(tmp_path, capsys, seed):
    h = random_history(seed)
    outs, codes = [], []
    for copy in (True, False):
        run_dir = write_folder(tmp_path / "run", h, copy=copy)
        assert (run_dir / readsdump.COPY_NAME).exists() == copy
        _run_json(run_dir, h)
        codes.append(reaudit(run_dir))
        outs.append(capsys.readouterr().out)
        shutil.rmtree(run_dir)
    assert codes[0] is Exit.INVARIANT and codes == [codes[0]] * 2
    assert outs[0] == outs[1] and "FAIL" in outs[0]
