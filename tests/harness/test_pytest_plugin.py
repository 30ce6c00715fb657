"""The pytest plugin, through pytester: a team's test using `dinerush_run` gets the verdict, and a failing
assertion names the failing check and the report's path. The dinerush command is replaced by a stand-in that
writes a summary.json (the real command is exercised by tests/examples/test_noodlebar_e2e.py)."""
from __future__ import annotations

import json

import pytest

from harness.pytest_plugin import RunVerdict, assert_caught, assert_holds

pytest_plugins = ["pytester"]

FAKE_DINERUSH = r'''
import json, sys
from pathlib import Path
args = sys.argv[1:]
run_dir = Path(args[args.index("--run-dir") + 1])
run_dir.mkdir(parents=True)
bad = "--config" in args and "broken" in args[args.index("--config") + 1]
check = {"name": "duplicated", "verdict": "invalid" if bad else "valid", "count": 3 if bad else 0,
         "where": "3 quiet" if bad else "", "lines": ["duplicated orders 3, all quiet"] if bad else [],
         "systems": {"orders": {"count": 3 if bad else 0}}}
(run_dir / "summary.json").write_text(json.dumps({"exit_code": 1 if bad else 0, "audit": {"checks": [check]},
                                                  "slos": [], "inconclusive": [], "argv": args}))
sys.exit(1 if bad else 0)
'''


@pytest.fixture
def suite(pytester):
    pytester.makepyfile(fake_dinerush=FAKE_DINERUSH)
    pytester.makeconftest('''
import sys, pytest
@pytest.fixture
def dinerush_cli(pytestconfig):
    return [sys.executable, str(pytestconfig.rootpath / "fake_dinerush.py")]
''')
    return pytester


def test_the_fixture_runs_a_profile_and_returns_the_verdict(suite):
    suite.makepyfile(test_team='''
from harness.pytest_plugin import assert_caught, assert_holds

def test_good(dinerush_run):
    v = dinerush_run("calm", config="good.toml", schedule="faults.toml", duration=30)
    assert_holds(v)
    argv = v.summary["argv"]
    assert argv[:2] == ["run", "calm"] and "--schedule" in argv and argv[argv.index("--duration") + 1] == "30"

def test_caught(dinerush_run):
    assert_caught(dinerush_run("calm", config="broken.toml"), "duplicated", "orders")
''')
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_a_failing_run_names_the_check_and_the_report_path(suite):
    suite.makepyfile(test_team='''
from harness.pytest_plugin import assert_holds

def test_lunch(dinerush_run):
    assert_holds(dinerush_run("calm", config="broken.toml"))
''')
    result = suite.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*dinerush exit 1 (invariant failed)*", "*duplicated: 3", "*duplicated orders 3, all quiet",
                                 "*report: */run/report.html*"])


def test_assert_caught_fails_when_the_defect_was_not_caught(tmp_path):
    (tmp_path / "summary.json").write_text(json.dumps({"exit_code": 0, "audit": {"checks": []}}))
    v = RunVerdict.from_run_dir(tmp_path)
    assert v.exit_code == 0
    assert_holds(v)
    with pytest.raises(AssertionError, match=r"expected dinerush to catch lost on orders[\s\S]*report: "):
        assert_caught(v, "lost", "orders")


def test_a_run_without_summary_is_inconclusive_and_shows_what_the_command_said(tmp_path):
    v = RunVerdict.from_run_dir(tmp_path / "nothing", 64, "dinerush: unknown profile 'x'")
    with pytest.raises(AssertionError, match=r"exit 64 \(bad usage or config\)[\s\S]*unknown profile"):
        assert_holds(v)
