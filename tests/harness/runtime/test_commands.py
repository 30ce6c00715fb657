"""Process faults on an external target: `[processes.<part>]` commands from its config, run for real (sh), bounded,
and every gap or mistake named by its config key."""
from __future__ import annotations

import subprocess
import time
import sys
from pathlib import Path

import pytest

from faults.actuators import Actuators
from faults.catalog.base import check_actuators
from faults.errors import FaultError
from faults.registry import get
from harness.errors import UsageError
from harness.targets.external import ExternalConfig

BASE = """
[http]
orders = "http://127.0.0.1:8000"
[databases]
orders = "postgresql://u@127.0.0.1:5432/orders"
gateway = "postgresql://u@127.0.0.1:5432/gateway"
kitchen = "postgresql://u@127.0.0.1:5432/kitchen"
"""


def state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def eventually(cond, timeout: float = 5.0) -> bool:
    """Signals are delivered asynchronously: poll (bounded) for the state they lead to."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def load(tmp_path: Path, extra: str) -> ExternalConfig:
    p = tmp_path / "target.toml"
    p.write_text(BASE + extra)
    return ExternalConfig.load(p)


def test_commands_run_in_order_and_really_act(tmp_path: Path) -> None:
    log = tmp_path / "acts.log"
    cfg = load(tmp_path, f"""
[processes.kitchen]
kill = "echo kill >> {log}"
start = "echo start >> {log}"
""")
    fault = get("service_crash")
    acts = Actuators(links=None, processes=cfg.processes)  # type: ignore[arg-type]
    plan = fault.apply(acts, fault.parse({"service": "kitchen"}))
    fault.heal(acts, plan)
    assert log.read_text().split() == ["kill", "start"]


def test_pause_and_resume_commands_freeze_a_real_process(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        cfg = load(tmp_path, f"""
[processes.gateway]
pause = "kill -STOP {proc.pid}"
resume = "kill -CONT {proc.pid}"
""")
        cfg.processes.pause("gateway")
        assert eventually(lambda: state(proc.pid) == "T")
        cfg.processes.resume("gateway")
        assert eventually(lambda: state(proc.pid) != "T")
    finally:
        proc.kill()
        proc.wait()


def test_a_missing_command_fails_preflight_naming_the_config_key(tmp_path: Path) -> None:
    cfg = load(tmp_path, """
[processes.kitchen]
kill = "true"
""")
    acts = Actuators(links=None, processes=cfg.processes)  # type: ignore[arg-type]
    with pytest.raises(FaultError, match=r'has no start command for kitchen: add start = "..." under \[processes.kitchen\]'):
        check_actuators(get("service_crash").plan(get("service_crash").parse({"service": "kitchen"})), acts, "service_crash")
    no_tables = load(tmp_path, "")
    with pytest.raises(FaultError, match=r"no kill command for postgres: add kill = .* under \[processes.postgres\]"):
        check_actuators(get("db_restart").plan(), Actuators(links=None, processes=no_tables.processes), "db_restart")  # type: ignore[arg-type]


def test_a_failing_or_hanging_command_is_a_fault_error(tmp_path: Path) -> None:
    cfg = load(tmp_path, """
[processes.rabbitmq]
kill = "echo broker says no >&2; exit 3"
start = "sleep 5"
timeout = 0.5
""")
    with pytest.raises(FaultError, match=r"\[processes.rabbitmq\] kill exited 3: .*broker says no"):
        cfg.processes.kill("rabbitmq")
    with pytest.raises(FaultError, match=r"\[processes.rabbitmq\] start did not finish in 0.5s"):
        cfg.processes.start("rabbitmq")


@pytest.mark.parametrize("extra,message", [
    ("[processes.kds]\nkill = 'x'\n", r"\[processes.kds\]: unknown part; parts: orders, relay"),
    ("[processes.kitchen]\nrestart = 'x'\n", r"\[processes.kitchen\] has no key 'restart'"),
    ("[processes.kitchen]\nkill = ''\n", r"\[processes.kitchen\] kill must be a non-empty shell command"),
    ("[processes.kitchen]\ntimeout = -1\n", r"\[processes.kitchen\] timeout must be a number of seconds > 0"),
    ("processes = 3\n", r"\[processes\] must hold one table per part"),
])
def test_config_mistakes_are_usage_errors_naming_the_key(tmp_path: Path, extra: str, message: str) -> None:
    p = tmp_path / "target.toml"
    p.write_text(extra + BASE if extra.startswith("processes =") else BASE + extra)
    with pytest.raises(UsageError, match=message):
        ExternalConfig.load(p)

