"""Real runs that no fault schedule of ours can wedge or make inconclusive: the random nemesis over the whole
catalogue (the seed that once wedged Toxiproxy), and a Toxiproxy wedged on purpose mid-run. The provider
defects are caught in test_run_e2e_full.py (ci-gate-full); that a nemesis fits the profile's own duration is
a fast test (tests/faults/test_nemesis.py). Each case is one real run (~2 min)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import e2erun
import pytest
from e2erun import failing

pytestmark = pytest.mark.slow


def dinerush_run(root: Path, name: str, profile: str, *args: str) -> tuple[int, Path, dict]:
    return e2erun.dinerush_run(root, name, profile, *args, timeout=600)


def test_the_random_nemesis_of_seed_11_fits_the_load_and_ends_conclusive(runs_root: Path) -> None:
    """The command that once ended inconclusive on a wedged Toxiproxy (two faults stacked on diner_edge)."""
    code, run_dir, summary = dinerush_run(runs_root, "random-11", "ci-gate", "--schedule", "random",
                                          "--duration", "125", "--seed", "11")
    assert summary["inconclusive"] == [] and failing(summary) == {}, (summary["inconclusive"], failing(summary))
    assert code == 0
    stamps = json.loads((run_dir / "timeline.json").read_text())
    assert [s for s in stamps if s["action"] == "apply"]


def _toxiproxy_pid(root_pid: int) -> int:
    from harness.runtime.procs import process_tree
    for pid in process_tree(root_pid):
        try:
            if b"toxiproxy-server" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
        except OSError:
            continue
    raise AssertionError("no toxiproxy-server under the run")


def test_a_wedged_fault_proxy_is_restarted_and_the_verdict_stands(runs_root: Path) -> None:
    """SIGSTOP the run's own Toxiproxy during ci-gate's first fault (weak_network 5-15 s): its heal times out,
    the runtime restarts the server, the timeline says so, and the correct stack still passes."""
    import re
    import signal
    run_dir = runs_root / "wedged"
    proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "run", "ci-gate", "--run-dir", str(run_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    stopped = None
    try:
        for line in proc.stdout:   # progress lines: "load     7/80s | ..."
            m = re.search(r"load\s+(\d+)/", line)
            if stopped is None and m and 7 <= int(m.group(1)) < 14:
                stopped = _toxiproxy_pid(proc.pid)
                os.kill(stopped, signal.SIGSTOP)
        code = proc.wait(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert stopped is not None, "the load never reached the first fault"
    summary = json.loads((run_dir / "summary.json").read_text())
    stamps = json.loads((run_dir / "timeline.json").read_text())
    restarts = [s for s in stamps if s["action"] == "restart"]
    assert len(restarts) == 1 and restarts[0]["detail"].startswith("fault proxy restarted at ")
    assert (summary["inconclusive"], failing(summary), code) == ([], {}, 0)
