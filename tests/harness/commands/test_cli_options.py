"""Strict command-line input (issue 14): every bad value is one line naming the option and what it accepts,
exit 64, and neither a run folder nor a process exists afterwards. Fast: parsing fails before any work."""
from __future__ import annotations

import os

import psutil
import pytest

from harness.cli import main
from harness.commands import options as o
from harness.profiles import PROFILES


def children() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


BAD = [  # (command line, what the one line must say)
    (["run", "ci-gate", "--seed", "abc"], ["'--seed'", "'abc'", "whole number from 0"]),
    (["run", "ci-gate", "--seed", "-1"], ["'--seed'", "whole number from 0"]),
    (["run", "ci-gate", "--users", "-5"], ["'--users'", "-5", "from 1"]),
    (["run", "ci-gate", "--users", "0"], ["'--users'", "from 1"]),
    (["run", "ci-gate", "--users", "2.5"], ["'--users'", "'2.5'", "whole number"]),
    (["run", "ci-gate", "--workers", "999"], ["'--workers'", "999", f"from 0 to {o.max_workers()}"]),
    (["run", "ci-gate", "--workers", "-1"], ["'--workers'", "from 0"]),
    (["run", "ci-gate", "--slo-error-rate", "5"], ["'--slo-error-rate'", "from 0 to 1"]),
    (["run", "ci-gate", "--slo-error-rate", "nan"], ["'--slo-error-rate'", "from 0 to 1"]),
    (["run", "ci-gate", "--slo-place-p95-ms", "0"], ["'--slo-place-p95-ms'", "more than 0"]),
    (["run", "ci-gate", "--slo-pay-p95-ms", "fast"], ["'--slo-pay-p95-ms'", "'fast'"]),
    (["run", "ci-gate", "--duration", "0"], ["'--duration'", "from 1"]),
    (["run", "ci-gate", "--duration", "inf"], ["'--duration'", "from 1"]),
    (["run", "brunch"], ["unknown profile 'brunch'", ", ".join(PROFILES)]),
    (["run", "ci-gate", "--bug", "no-such-bug"], ["'--bug'", "'no-such-bug'", "no-idempotency"]),
    (["run", "ci-gate", "--bug", "no-idempotency", "--bug", "typo"], ["'--bug'", "'typo'"]),
    (["run", "ci-gate", "--target", "cloud"], ["'--target'", "unknown target 'cloud'", "local", "external"]),
    (["run", "ci-gate", "--config", "/nonexistent/target.toml"], ["'--config'", "not an existing file"]),
    (["run", "ci-gate", "--no-such-option"], ["No such option: --no-such-option"]),
    (["run", "ci-gate", "--seed"], ["'--seed' requires an argument"]),
    (["capacity", "--mix", "robots=1"], ["'--mix'", "'robots=1'", "dine_in, takeaway, impatient, pos"]),
    (["capacity", "--mix", "dine_in"], ["'--mix'", "KIND=WEIGHT"]),
    (["capacity", "--mix", "dine_in=x"], ["'--mix'", "not a number"]),
    (["capacity", "--mix", "dine_in=0,pos=0"], ["'--mix'", "positive weight"]),
    (["capacity", "--workers", "999"], ["'--workers'", "999"]),
    (["capacity", "--seed", "abc"], ["'--seed'", "'abc'"]),
    (["capacity", "--slo-error-rate", "1.5"], ["'--slo-error-rate'", "from 0 to 1"]),
    (["capacity", "--start-users", "0"], ["'--start-users'", "from 1"]),
    (["capacity", "--step-seconds", "1"], ["'--step-seconds'", "from 5 to 600"]),
    (["capacity", "--budget", "0"], ["'--budget'", "more than 0"]),
    (["capacity", "--under", "hail"], ["'--under'", "unknown fault 'hail'", "weak_network"]),
    (["capacity", "--under", "weak_network:6g"], ["'--under'", "'6g'", "3g"]),
    (["capacity", "--peak", "lots"], ["'--peak'", "orders per minute"]),
    (["capacity", "--target", "cloud"], ["'--target'", "'cloud'"]),
    (["audit", "/nonexistent/run"], ["/nonexistent/run", "not an existing folder"]),
    (["faults", "show", "meteor"], ["unknown fault 'meteor'", "weak_network"]),
    (["up", "--bug", "nope"], ["'--bug'", "'nope'"]),
    (["up", "--menu", "/nonexistent/menu.json"], ["'--menu'", "not an existing file"]),
    (["smoke", "--bug", "nope"], ["'--bug'", "'nope'"]),
]


@pytest.mark.parametrize("argv,says", BAD, ids=lambda v: " ".join(v) if isinstance(v, list) and v and
                         isinstance(v[0], str) and not v[0].startswith("'") else "")
def test_bad_value_is_one_line_exit_64_and_nothing_starts(argv, says, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)   # `runs/` (the default --out) would appear here
    out = tmp_path / "out"
    had = children()
    extra = ["--out", str(out)] if argv[0] in ("run", "capacity") else []
    code = main([argv[0], *extra, *argv[1:]])
    err = capsys.readouterr().err
    assert code == 64, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dinerush: "), err
    for part in says:
        assert part in lines[0], f"{part!r} not in {lines[0]!r}"
    assert not out.exists() and not (tmp_path / "runs").exists(), "a run folder was created"
    assert children() - had == set(), "a process was started"


def test_no_arguments_prints_the_help_as_a_usage_answer(capsys):
    assert main([]) == 64
    assert "Commands" in capsys.readouterr().out


def test_workers_bound_scales_with_the_cpus():
    assert o.max_workers() == o.WORKERS_PER_CPU * (os.cpu_count() or 1)
    assert o.whole(0, o.max_workers())(str(o.max_workers())) == o.max_workers()


@pytest.mark.parametrize("text,value", [("0", 0.0), ("1", 1.0), ("0.02", 0.02), (" 0.5 ", 0.5)])
def test_share_accepts_0_to_1(text, value):
    assert o.number(0, 1)(text) == value


def test_good_values_reach_the_run_options(monkeypatch, tmp_path):
    """The parsed values, typed, are what the run gets (the run itself is replaced: no process starts)."""
    import harness.run as run_mod

    seen = {}
    monkeypatch.setattr(run_mod, "run", lambda opts, progress=None: seen.setdefault("opts", opts) and 0)
    code = main(["run", "calm", "--seed", "12", "--users", "3", "--duration", "9.5", "--workers", "1",
                 "--slo-error-rate", "0.05", "--bug", "no-idempotency", "--bug", "no-idempotency",
                 "--out", str(tmp_path / "o"), "--quiet"])
    opts = seen["opts"]
    assert code == 0
    assert (opts.seed, opts.profile.users, opts.profile.duration_s, opts.workers) == (12, 3, 9.5, 1)
    assert opts.slo.max_error_rate == 0.05 and opts.bugs == ("no-idempotency",)


FREE_TEXT = {("run", "schedule"), ("schedule check", "ref")}   # a built-in name or a TOML file, checked line by line


def every_value_param():
    import typer.main

    from harness.cli import build_app

    def walk(cmd, path):
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            yield from walk(sub, [*path, name])
        if not getattr(cmd, "commands", None):
            for p in cmd.params:
                if not getattr(p, "is_flag", False):
                    yield " ".join(path), p
    yield from walk(typer.main.get_command(build_app()), [])


def test_every_value_taking_option_is_parsed_by_a_declared_parser():
    """No option reads a bare string or int: each goes through a parser of harness/commands/options.py."""
    undeclared = []
    for command, p in every_value_param():
        parser = p.type_descriptor.parameter_info.parser
        if (command, p.name) in FREE_TEXT:
            continue
        if parser is None or parser.__module__ != o.__name__:
            undeclared.append(f"{command} {p.name}")
    assert undeclared == []
    assert {(c, p.name) for c, p in every_value_param()} >= FREE_TEXT   # the exceptions still exist
