"""The worked example end to end: real Noodle Bar, real Toxiproxy (created from the declared link), real Locust.

Its correct mode passes (exit 0; kitchen checks and the kitchen SLO "not applicable", never passed); its
switchable defect (double-submit: client_ref not unique) fails with duplicated orders (exit 1)."""
from __future__ import annotations

from pathlib import Path

import pytest

from e2erun import dinerush_run as cli_run, failing, make_runs_root
from harness.pytest_plugin import assert_caught, assert_holds
from noodlebar_app import NOODLEBAR, noodlebar

pytestmark = pytest.mark.slow
LOAD = ("--target", "adapter", "--schedule", str(NOODLEBAR / "schedule.toml"), "--duration", "40",
        "--min-paid", "40")


@pytest.fixture(scope="module")
def root():
    yield from make_runs_root()


def run(root: Path, name: str, defect: str | None) -> tuple[int, Path, dict]:
    folder = root / f"{name}-app"
    folder.mkdir()
    with noodlebar(folder, defect) as config:
        return cli_run(root, name, "calm", *LOAD, "--config", str(config), timeout=400)


def test_correct_noodlebar_passes_with_kitchen_checks_not_applicable(root):
    code, run_dir, summary = run(root, "correct", None)
    assert code == 0, (summary["inconclusive"], failing(summary))
    checks = {c["name"]: c for c in summary["audit"]["checks"]}
    assert all(c["verdict"] == "valid" for c in checks.values())
    assert all(c["not_applicable"] == ["tickets"] for c in checks.values())
    assert checks["lost"]["systems"]["charges"]["applicable"] is True
    kitchen = next(s for s in summary["slos"] if s["name"] == "p95 paid to kitchen")
    assert kitchen["status"] == "not applicable"
    junit = (run_dir / "junit.xml").read_text()
    assert 'name="lost.tickets"' in junit and "not applicable" in junit
    assert "not applicable" in (run_dir / "report.html").read_text()
    stamps = [s["action"] for s in __import__("json").loads((run_dir / "timeline.json").read_text())]
    assert stamps.count("apply") == 2 and stamps.count("heal") == 2


def test_double_submit_defect_is_caught_as_duplicated_orders_through_the_pytest_plugin(tmp_path, dinerush_run):
    """The same run a team would write with the plugin: assert_caught passes, assert_holds fails naming the
    check and the report."""
    with noodlebar(tmp_path, "double-submit") as config:
        verdict = dinerush_run("calm", config=config, schedule=NOODLEBAR / "schedule.toml", duration=40, min_paid=40,
                               timeout=400)
    assert_caught(verdict, "duplicated", "orders")
    assert verdict.report.exists()
    with pytest.raises(AssertionError) as err:
        assert_holds(verdict)
    message = str(err.value)
    print(message)
    assert "dinerush exit 1 (invariant failed)" in message and "duplicated: " in message
    assert f"report: {verdict.report}" in message
