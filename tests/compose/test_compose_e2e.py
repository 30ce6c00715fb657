"""`dinerush run --target compose` for real: a private Docker daemon, the local images, containers on the host
network at 127.0.0.1. The correct stack passes ci-gate; a KDS container SIGKILLed by service_crash exposes the
seeded write-behind defect (exit 1); Ctrl-C while the containers start removes the project. Logs are collected."""
from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import pytest
from composerun import NO_LATENCY_SLO, finish, project_containers, start_run
from e2erun import applied_and_healed, failing

from harness.runtime.compose_settings import STACK_SERVICES

# the first test of a cold data root also builds the images (minutes): more than the suite's 600 s default
pytestmark = [pytest.mark.slow, pytest.mark.compose, pytest.mark.timeout(2400)]


def assert_logs_collected(run_dir: Path) -> None:
    """Every stack container's own output is in logs/<service>.log: the containers really ran."""
    logs = run_dir / "logs"
    empty = [s for s in STACK_SERVICES if not (logs / f"{s}.log").exists() or not (logs / f"{s}.log").stat().st_size]
    assert empty == [], f"no container log for {empty} in {logs}"
    assert "orders API on 127.0.0.1:" in (logs / "orders.log").read_text()


def test_the_correct_stack_passes_ci_gate_on_compose(compose_env, compose_runs_root, docker_client) -> None:
    run_dir = compose_runs_root / "ci-gate"
    proc, err = start_run(compose_env, run_dir, "ci-gate", "--quiet", *NO_LATENCY_SLO)
    code, summary = finish(proc, err, run_dir)
    assert (failing(summary), summary["inconclusive"], code) == ({}, [], 0), err.read_text()[-3000:]
    applied, healed = applied_and_healed(run_dir)
    assert applied and len(applied) == len(healed)
    assert_logs_collected(run_dir)
    assert project_containers(docker_client, run_dir) == []


def test_a_container_crash_exposes_the_write_behind_kds(compose_env, compose_runs_root, docker_client) -> None:
    """service_crash through compose is a SIGKILL of the kitchen container and a start again: the KDS that acks
    before it writes loses the tickets it held (exit 1, lost tickets); the container log shows two starts."""
    schedule = compose_runs_root / "kds-crash.toml"
    schedule.write_text('name = "kds-crash"\nduration = 30\n\n[[fault]]\nat = 8\nfor = 4\n'
                        'use = "service_crash"\nservice = "kitchen"\n')
    run_dir = compose_runs_root / "kds-crash"
    proc, err = start_run(compose_env, run_dir, "calm", "--quiet", "--duration", "30", "--schedule", str(schedule),
                          "--bug", "kitchen-write-behind")
    code, summary = finish(proc, err, run_dir)
    bad = failing(summary)
    assert "lost" in bad and bad["lost"]["systems"]["tickets"]["count"] > 0, (code, sorted(bad))
    assert code == 1
    applied, healed = applied_and_healed(run_dir)
    assert [s["fault"] for s in applied] == ["service_crash"] and [s["fault"] for s in healed] == ["service_crash"]
    kitchen_log = (run_dir / "logs" / "kitchen.log").read_text()
    assert len(re.findall(r"KDS on 127\.0\.0\.1:", kitchen_log)) == 2, kitchen_log[-2000:]
    assert project_containers(docker_client, run_dir) == []


def test_ctrl_c_while_the_containers_start_removes_the_project(compose_env, compose_runs_root,
                                                               docker_client) -> None:
    """SIGINT to the dinerush process (as Ctrl-C would send it) during `up`: exit 3, logs kept, project gone."""
    run_dir = compose_runs_root / "sigint"
    proc, err = start_run(compose_env, run_dir, "calm", "--duration", "10")
    deadline = time.monotonic() + 300
    while not any(c.status == "running" for c in project_containers(docker_client, run_dir)):
        assert proc.poll() is None, f"run ended (code {proc.returncode}) before a container ran: {err.read_text()}"
        assert time.monotonic() < deadline, f"no container running after 300s: {err.read_text()[-2000:]}"
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGINT)
    code, summary = finish(proc, err, run_dir)
    assert code == 3, err.read_text()[-2000:]
    assert summary["inconclusive"], summary
    assert (run_dir / "logs").is_dir() and any((run_dir / "logs").glob("*.log"))
    assert project_containers(docker_client, run_dir) == []
