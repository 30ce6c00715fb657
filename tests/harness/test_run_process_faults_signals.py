"""Ctrl-C while a process fault is active in a real `dinerush run`: the fault is healed (the part started again or
thawed) before the stack stops, the timeline stamps apply and heal, exit 3, and no process of the run is left.
Each case is one short real run (calm diners, the fault held for most of the load)."""
from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
from pathlib import Path

import psutil
import pytest
from test_run_signals import Run, check_interrupted, schedule_file

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def root():
    # PostgreSQL and RabbitMQ run as their own users when we are root: the folder must be traversable.
    path = Path(tempfile.mkdtemp(prefix="dinerush-procsig-"))
    os.chmod(path, 0o755)
    yield path
    if not os.environ.get("DINERUSH_KEEP_TEST_RUN"):
        shutil.rmtree(path, ignore_errors=True)


def _gone(needle: str):
    return lambda run: run.in_phase("load") and run.find(needle) is None


def _stopped(needle: str):
    def check(run: Run) -> bool:
        p = run.find(needle)
        try:
            return p is not None and p.status() == psutil.STATUS_STOPPED
        except psutil.Error:
            return False
    return check


CASES = {
    "service_crash": ('service = "kitchen"', _gone("stack.kitchen"), "kitchen"),
    "service_pause": ('service = "gateway"', _stopped("stack.payments"), "gateway"),
    "broker_restart": ("", _gone("beam.smp"), "rabbitmq"),
    "db_restart": ("", _gone("bin/postgres"), "postgres"),
}


@pytest.mark.parametrize("fault", sorted(CASES))
def test_ctrl_c_while_a_process_fault_is_active_heals_it(root: Path, fault: str) -> None:
    params, active, part = CASES[fault]
    sched = schedule_file(root, fault, 30, f"""
[[fault]]
at = 1
for = 25
use = "{fault}"
{params}
""")
    run = Run.start(root, f"sig-{fault}", "calm", "--duration", "30", "--schedule", str(sched))
    run.wait_for(lambda: active(run), f"with {fault} active", timeout=180)
    files = run.signal(signal.SIGINT, whole_group=True)
    check_interrupted(run, run.wait(), files, "SIGINT", ("load",))
    stamps = json.loads((run.run_dir / "timeline.json").read_text())
    assert [(s["action"], s["fault"]) for s in stamps] == [("apply", fault), ("heal", fault)], stamps
    if fault != "service_pause":   # healed means started again before the stack stopped, as its log says
        log = run.run_dir / "logs" / f"{part}.log"
        assert f"{part} started again by dinerush" in log.read_text()
