"""dinerush as a pytest plugin (entry point `pytest11`): resilience tests in a team's own suite.

    def test_checkout_survives_lunch(dinerush_run):
        verdict = dinerush_run("calm", config="ops/dinerush/target.toml", schedule="ops/dinerush/faults.toml")
        assert_holds(verdict)                       # exit 0, else the failing checks and the report path

Each run is a real `dinerush run` in a child process (Locust, Toxiproxy and signals stay out of pytest), its
run folder under pytest's temporary directory. Nothing heavy is imported until a test asks for a run.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import pytest

EXITS = {0: "ok", 1: "invariant failed", 2: "SLO failed", 3: "inconclusive", 64: "bad usage or config"}


@dataclass(frozen=True)
class RunVerdict:
    """What one run said: its exit code, run folder and summary.json (empty when the run wrote none)."""

    exit_code: int
    run_dir: Path
    summary: dict
    output: str = ""    # the command's stdout and stderr (its tail), for a run that wrote no summary

    @classmethod
    def from_run_dir(cls, run_dir: Path, exit_code: int | None = None, output: str = "") -> "RunVerdict":
        path = Path(run_dir) / "summary.json"
        try:
            summary = json.loads(path.read_text())
        except (OSError, ValueError):
            summary = {}
        code = exit_code if exit_code is not None else int(summary.get("exit_code", 3))
        return cls(code, Path(run_dir), summary, output)

    @property
    def report(self) -> Path:
        return self.run_dir / "report.html"

    @property
    def checks(self) -> dict[str, dict]:
        return {c["name"]: c for c in ((self.summary.get("audit") or {}).get("checks") or ())}

    @property
    def failing(self) -> dict[str, dict]:
        """The invariants that found violations, by name."""
        return {n: c for n, c in self.checks.items() if c.get("verdict") == "invalid"}

    @property
    def failed_slos(self) -> list[str]:
        return [s["name"] for s in self.summary.get("slos") or () if s.get("status") == "fail"]

    def describe(self) -> str:
        """Several lines: the exit, each failing check and SLO, why inconclusive, and the report's path."""
        lines = [f"dinerush exit {self.exit_code} ({EXITS.get(self.exit_code, 'unknown exit')})"]
        for name, c in self.failing.items():
            where = c.get("lines") or ([c["where"]] if c.get("where") else [])   # per system, where they cluster
            lines.append(f"  {name}: {c.get('count')}" + "".join(f"\n    {x}" for x in where))
        lines += [f"  SLO failed: {name}" for name in self.failed_slos]
        lines += [f"  inconclusive: {why}" for why in self.summary.get("inconclusive") or ()]
        if not self.summary and self.output:
            lines.append("  no summary.json; the command said:\n" + self.output[-2000:])
        lines.append(f"  report: {self.report}")
        return "\n".join(lines)


def assert_holds(verdict: RunVerdict) -> None:
    """Every invariant and SLO held and the evidence floor was met (exit 0); else fail, naming the report."""
    if verdict.exit_code != 0:
        raise AssertionError(verdict.describe())


def assert_caught(verdict: RunVerdict, check: str, system: str | None = None) -> None:
    """The run failed invariant `check` (on `system`, e.g. "orders", when given) with exit 1: a seeded defect
    was caught; else fail, naming the report."""
    bad = verdict.failing.get(check)
    found = bad is not None and (system is None or (bad.get("systems", {}).get(system) or {}).get("count", 0) > 0)
    if verdict.exit_code != 1 or not found:
        on = f" on {system}" if system else ""
        raise AssertionError(f"expected dinerush to catch {check}{on} (exit 1)\n{verdict.describe()}")


Runner = Callable[..., RunVerdict]


@pytest.fixture
def dinerush_cli() -> list[str]:
    """The command that runs dinerush (override it to use another install)."""
    return [sys.executable, "-m", "harness.cli"]


@pytest.fixture
def dinerush_run(dinerush_cli: list[str], tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """A function running one profile against a target and returning its RunVerdict:
    `dinerush_run(profile="calm", *, target="adapter", config=None, schedule=None, duration=None, users=None,
    seed=7, min_paid=None, args=(), timeout=900)`."""

    def run(profile: str = "calm", *, target: str = "adapter", config: str | Path | None = None,
            schedule: str | Path | None = None, duration: float | None = None, users: int | None = None,
            seed: int = 7, min_paid: int | None = None, args: Sequence[str] = (), timeout: float = 900) -> RunVerdict:
        root = tmp_path_factory.mktemp("dinerush")
        os.chmod(root, 0o755)   # the local target's PostgreSQL and RabbitMQ run as their own users when we are root
        run_dir = root / "run"
        argv = [*dinerush_cli, "run", profile, "--quiet", "--run-dir", str(run_dir), "--target", target,
                "--seed", str(seed)]
        for flag, value in (("--config", config), ("--schedule", schedule), ("--duration", duration),
                            ("--users", users), ("--min-paid", min_paid)):
            if value is not None:
                argv += [flag, str(value)]
        proc = subprocess.run([*argv, *args], capture_output=True, text=True, timeout=timeout)
        return RunVerdict.from_run_dir(run_dir, proc.returncode, (proc.stdout + proc.stderr)[-4000:])

    return run
