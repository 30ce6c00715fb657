"""The external target: ci-gate against a reference stack started separately by `dinerush up --detach`,
through the adapter file it writes; same verdicts as the local target."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from e2erun import cli, detached_stack_root

pytestmark = pytest.mark.slow


@pytest.fixture
def runs():
    yield from detached_stack_root("dinerush-external-")


@pytest.mark.parametrize("bug, expect_code, broken", [
    (None, 0, None),
    ("kitchen-no-dedupe", 1, "duplicated"),
])
def test_ci_gate_through_the_adapter(runs: Path, bug: str | None, expect_code: int, broken: str | None) -> None:
    up = cli("up", "--detach", "--runs", str(runs), *(["--bug", bug] if bug else []), timeout=240)
    assert up.returncode == 0, up.stdout + up.stderr
    config = runs / "stack" / "target.toml"
    assert config.exists()
    run_dir = runs / "external-run"
    res = cli("run", "ci-gate", "--quiet", "--target", "external", "--config", str(config), "--run-dir", str(run_dir))
    summary = json.loads((run_dir / "summary.json").read_text())
    invalid = {c["name"] for c in summary["audit"]["checks"] if c["verdict"] == "invalid"}
    assert res.returncode == expect_code, (res.stdout + res.stderr)[-3000:]
    assert invalid == ({broken} if broken else set())


def test_bug_flag_is_refused_for_an_external_target(tmp_path: Path) -> None:
    config = tmp_path / "x.toml"
    config.write_text('[http]\norders = "http://127.0.0.1:9"\n')   # exists: the --bug rule is the one that answers
    res = cli("run", "ci-gate", "--target", "external", "--config", str(config), "--bug", "no-reconcile",
              "--run-dir", str(tmp_path / "r"))
    assert res.returncode == 64 and "dinerush up --bug" in res.stderr
