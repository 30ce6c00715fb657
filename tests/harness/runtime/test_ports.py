"""free_port across processes: a port handed out to one dinerush process is not handed to another while it is
held, so two parallel test workers (or two runs) never race for the same port before either binds it."""
from __future__ import annotations

import multiprocessing as mp
import os
import time

import pytest

from harness.runtime import procs


@pytest.fixture()
def ledger(tmp_path, monkeypatch):
    path = tmp_path / "ports"
    monkeypatch.setenv("DINERUSH_PORT_LEDGER", str(path))
    monkeypatch.setattr(procs, "_LOCAL", set())
    return path


def _grab(ledger_path: str, n: int, q) -> None:
    os.environ["DINERUSH_PORT_LEDGER"] = ledger_path
    q.put([procs.free_port() for _ in range(n)])


def test_parallel_processes_never_get_the_same_port(ledger):
    """Four processes take 300 ports each, binding none: from 12,000 ports, without the ledger about 60 pairs would
    collide (birthday bound); with it, none."""
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    ps = [ctx.Process(target=_grab, args=(str(ledger), 300, q)) for _ in range(4)]
    for p in ps:
        p.start()
    got = [q.get(timeout=120) for _ in ps]
    for p in ps:
        p.join(timeout=30)
    ports = [port for batch in got for port in batch]
    assert len(ports) == 1200 and len(set(ports)) == 1200


def test_a_port_handed_out_is_skipped_until_its_hold_ends(ledger, monkeypatch):
    picks = iter([30_000, 30_000, 30_001])
    monkeypatch.setattr(procs.random, "randint", lambda a, b: next(picks))
    monkeypatch.setattr(procs, "_ephemeral_low", lambda: 32_768)
    assert procs.free_port() == 30_000
    procs._LOCAL.clear()                             # as another process would see it: only the ledger remembers
    assert procs.free_port() == 30_001
    assert {int(line.split()[0]) for line in ledger.read_text().splitlines()} == {30_000, 30_001}


def test_old_and_torn_entries_are_dropped(ledger, monkeypatch):
    old = time.time() - procs.PORT_HOLD_S - 5
    ledger.write_text(f"30000 {old:.0f}\ngarbage\n30002 {time.time():.0f}\n")
    monkeypatch.setattr(procs.random, "randint", lambda a, b: 30_000)
    monkeypatch.setattr(procs, "_ephemeral_low", lambda: 32_768)
    assert procs.free_port() == 30_000                # its hold ended: free again
    assert sorted(int(line.split()[0]) for line in ledger.read_text().splitlines()) == [30_000, 30_002]


def test_an_unusable_ledger_falls_back_to_this_process_memory(ledger, monkeypatch, tmp_path):
    monkeypatch.setenv("DINERUSH_PORT_LEDGER", str(tmp_path / "no" / "such" / "folder" / "ports"))
    ports = [procs.free_port() for _ in range(30)]
    assert len(set(ports)) == 30 and all(1024 <= p < procs._ephemeral_low() for p in ports)
