"""bench/proc_cpu.py: CPU per part between two snapshots, on hand-built snapshots and on this very process."""
from __future__ import annotations

import os
import time

from bench.proc_cpu import PartCpu, snapshot, split, table


def test_split_counts_new_processes_from_zero_and_reports_ended_ones() -> None:
    before = {"pg": {(10, 1.0): 2.0, (11, 1.0): 1.0, (12, 1.0): 5.0}, "api": {(20, 1.0): 3.0}}
    after = {"pg": {(10, 1.0): 2.5, (11, 1.0): 1.25, (13, 2.0): 0.5}, "api": {(20, 1.0): 4.0}}
    got = {p.name: p for p in split(before, after)}
    assert got["pg"] == PartCpu("pg", 1.25, 3, 1)     # 0.5 + 0.25 + 0.5 (pid 13 born in the window); 12 ended
    assert got["api"] == PartCpu("api", 1.0, 1, 0)


def test_a_reused_pid_is_a_new_process() -> None:
    before = {"x": {(10, 1.0): 9.0}}
    after = {"x": {(10, 7.0): 0.5}}
    assert split(before, after) == [PartCpu("x", 0.5, 1, 1)]


def test_table_is_ms_per_unit_sorted_with_a_total() -> None:
    lines = table([PartCpu("a", 0.1, 1, 0), PartCpu("b", 0.3, 2, 0)], per=100)
    assert "100 in the window" in lines[0]
    assert lines[1].split()[:2] == ["b", "3.00"] and lines[2].split()[:2] == ["a", "1.00"]
    assert lines[-1].split() == ["total", "4.00"]
    assert "none done" in table([PartCpu("a", 0.1, 1, 0)], per=0)[0]


def test_snapshot_reads_this_process_and_its_cpu_grows() -> None:
    parts = {"me": [os.getpid()]}
    s1 = snapshot(parts)
    end = time.process_time() + 0.05
    while time.process_time() < end:
        pass
    (me,) = split(s1, snapshot(parts))
    assert me.name == "me" and me.processes >= 1 and me.ended == 0 and me.seconds > 0
