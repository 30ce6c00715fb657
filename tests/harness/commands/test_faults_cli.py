"""`dinerush faults list|show` and `dinerush schedule check|list` through the real CLI entry point."""
from __future__ import annotations

from harness.cli import main

BAD = """\
[[fault]]
at = 1
for = 2
use = "gateway_timeout"
delay_ms = 1000

[[fault]]
at = 3
for = 2
use = "kitchen_flood"
"""


def test_faults_list_names_every_fault(capsys):
    assert main(["faults", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("weak_network", "gateway_timeout", "gateway_slow", "kitchen_drop", "notify_drop", "db_stall"):
        assert name in out


def test_faults_show_lists_params_and_toxics(capsys):
    assert main(["faults", "show", "weak_network"]) == 0
    out = capsys.readouterr().out
    assert "preset (str, default '3g' one of 3g|slow-4g|fast-4g|flaky-wifi|offline)" in out
    assert "diner_edge:bandwidth/downstream(rate=50)" in out


def test_faults_show_unknown_is_usage(capsys):
    assert main(["faults", "show", "meteor"]) == 64
    err = capsys.readouterr().err
    assert "'meteor'" in err and "choose one of weak_network" in err and len(err.strip().splitlines()) == 1


def test_schedule_check_good_builtin(capsys):
    assert main(["schedule", "check", "ci-gate"]) == 0
    assert "ok: ci-gate — 7 faults over 75 s" in capsys.readouterr().out


def test_schedule_check_bad_file_gives_lines_and_exit_64(tmp_path, capsys):
    f = tmp_path / "bad.toml"
    f.write_text(BAD)
    assert main(["schedule", "check", str(f)]) == 64
    err = capsys.readouterr().err
    assert f"{f}:5: gateway_timeout: delay_ms 1000 does not exceed the client timeout" in err
    assert f"{f}:10: unknown fault 'kitchen_flood'; faults: weak_network, gateway_timeout" in err
    assert "2 problem(s)" in err


def test_schedule_list(capsys):
    assert main(["schedule", "list"]) == 0
    out = capsys.readouterr().out
    assert "ci-gate" in out and "lunch-rush" in out and "random" in out
