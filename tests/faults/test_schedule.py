"""Schedules: the TOML format, line-precise validation, built-ins and the random nemesis (no sleeping)."""
from __future__ import annotations

import pytest

from faults.errors import FaultError, ScheduleError
from faults.schedule import RandomSpec, builtin_names, check_schedule, load_schedule, parse_schedule, random_schedule

GOOD = """\
name = "mine"
duration = 30

[[fault]]
at = 1
for = 5
use = "weak_network"
preset = "slow-4g"

[[fault]]
at = 3.5
for = 10
use = "kitchen_drop"
side = "both"
form = "cut"
cut_bytes = 100
"""


def test_a_good_schedule_parses_with_typed_params_and_overlaps():
    s = parse_schedule(GOOD, "mine.toml")
    assert [(e.at, e.end, e.use, e.line) for e in s.entries] == [(1.0, 6.0, "weak_network", 4), (3.5, 13.5, "kitchen_drop", 10)]
    assert s.entries[1].params.cut_bytes == 100 and s.total == 30
    assert set(s.links) == {"diner_edge", "kitchen_publish", "kitchen_consume"}


BAD = """\
duration = 20
colour = "red"

[[fault]]
at = -2
for = 5
use = "weak_network"

[[fault]]
at = 1
for = 0
use = "weak_netwrk"

[[fault]]
at = 2
for = 3
use = "kitchen_drop"
form = "evaporate"
speed = 3

[[fault]]
at = 10
for = 30
use = "db_stall"
delay_ms = "slow"

[[fault]]
for = 1
use = "notify_drop"
"""


def test_every_mistake_is_reported_with_file_and_line():
    with pytest.raises(ScheduleError) as err:
        parse_schedule(BAD, "bad.toml")
    got = [(p.line, p.message) for p in err.value.problems]
    lines = {line for line, _ in got}
    text = "\n".join(str(p) for p in err.value.problems)
    assert "bad.toml:2: unknown top-level key 'colour'" in text
    assert "bad.toml:5: 'at' must be a number of seconds >= 0" in text
    assert "bad.toml:11: 'for' must be a number of seconds > 0" in text
    assert "bad.toml:12: unknown fault 'weak_netwrk'; faults: weak_network, gateway_timeout" in text
    assert "bad.toml:18: kitchen_drop: param form is 'evaporate'; choose one of reset, cut" in text
    assert "bad.toml:19: kitchen_drop has no param 'speed'; its params: cut_bytes, form" in text
    assert "bad.toml:25: db_stall: param delay_ms must be an int" in text
    assert "bad.toml:23: fault #4 (db_stall) ends at 40 s, after the schedule's duration 20 s" in text
    assert "bad.toml:27: fault #5 has no 'at'" in text
    assert lines == {2, 5, 11, 12, 18, 19, 23, 25, 27}


def test_a_bad_choice_points_at_its_line():
    text = GOOD.replace('form = "cut"', 'form = "melt"')
    with pytest.raises(ScheduleError) as err:
        parse_schedule(text, "x.toml")
    assert str(err.value.problems[0]).startswith("x.toml:15: kitchen_drop: param form is 'melt'; choose one of")


def test_syntax_errors_carry_tomllibs_line():
    with pytest.raises(ScheduleError) as err:
        parse_schedule("[[fault]]\nat = 1\nfor = = 2\n", "s.toml")
    assert err.value.problems[0].line == 3 and "not valid TOML" in str(err.value)


def test_empty_and_unknown_refs():
    with pytest.raises(ScheduleError, match="no faults"):
        parse_schedule("name = 'x'\n", "e.toml")
    assert "built-ins: ci-gate, ci-gate-full, lunch-rush, random" in str(check_schedule("nope")[0])
    assert "no schedule file" in str(check_schedule("/tmp/does/not/exist.toml")[0])


def test_a_folder_or_file_named_like_a_builtin_does_not_shadow_it(tmp_path, monkeypatch):
    """A run's output folder called ci-gate in the working directory once made `--schedule ci-gate` unreadable."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ci-gate").mkdir()
    (tmp_path / "random").write_text("not a schedule")
    assert load_schedule("ci-gate").name == "ci-gate" and check_schedule("random") == []
    assert "is a folder; give a .toml file" in str(check_schedule(str(tmp_path / "ci-gate"))[0])
    assert "not valid TOML" in check_schedule("./random")[0].message   # the file, named as a path


def test_builtins_are_valid():
    assert builtin_names() == ["ci-gate", "ci-gate-full", "lunch-rush", "random"]
    for name in builtin_names():
        assert check_schedule(name) == []
    gate = load_schedule("ci-gate")
    assert 70 <= gate.total <= 80
    uses = [(e.use, getattr(e.params, "form", None), getattr(e.params, "side", None)) for e in gate.entries]
    assert ("kitchen_drop", "blackhole", "consume") in uses and ("kitchen_drop", "cut", "consume") in uses
    assert {"weak_network", "gateway_timeout", "notify_drop"} <= {u for u, _, _ in uses}
    assert {f for u, f, s in uses if u == "kitchen_drop" and s == "publish"} == {"reset", "down"}
    gt = next(e for e in gate.entries if e.use == "gateway_timeout")
    nd = next(e for e in gate.entries if e.use == "notify_drop")
    assert nd.at <= gt.at and nd.end >= gt.end   # the callback cannot rescue a timed-out payment
    assert 150 <= load_schedule("lunch-rush").total <= 200


def test_random_nemesis_is_seeded_and_bounded():
    a, b, c = load_schedule("random:5"), load_schedule("random:5"), load_schedule("random", seed=6)
    assert a.entries == b.entries and a.entries != c.entries and a.seed == 5
    spec = RandomSpec(seed=3, duration=300, rate_per_min=6, mix=(("kitchen_drop", 1.0), ("db_stall", 0.0)))
    s = random_schedule(spec)
    assert s.entries and {e.use for e in s.entries} == {"kitchen_drop"}
    assert all(spec.quiet_start <= e.at and e.end <= spec.duration - spec.quiet_end for e in s.entries)
    with pytest.raises(FaultError, match="not random"):
        load_schedule("ci-gate", seed=3)


def test_random_table_in_a_file_is_validated(tmp_path):
    f = tmp_path / "r.toml"
    f.write_text("[random]\nseed = 2\nmix = ['kitchen_drop', 'wat']\nspeed = 1\n")
    problems = check_schedule(f)
    assert [p.line for p in problems] == [3, 4] and "unknown fault 'wat' in mix" in problems[0].message
    f.write_text("[random]\nseed = 2\nduration = 60\nmix = { notify_drop = 1 }\n")
    s = load_schedule(f)
    assert {e.use for e in s.entries} <= {"notify_drop"} and s.total == 60


def test_two_faults_on_one_part_at_once_are_refused():
    text = ("[[fault]]\nat = 1\nfor = 5\nuse = 'provider_errors'\n\n"
            "[[fault]]\nat = 3\nfor = 5\nuse = 'webhook_chaos'\n")
    with pytest.raises(ScheduleError) as err:
        parse_schedule(text, "p.toml")
    assert err.value.problems[0].line == 6 and "on gateway" in str(err.value)
    parse_schedule(text.replace("at = 3", "at = 6"), "p.toml")   # one after the other is fine


def test_ci_gate_full_provider_part_is_valid_and_in_60_to_110_s():
    s = load_schedule("ci-gate-full")
    provider = [e for e in s.entries if e.use in ("provider_errors", "provider_declines", "webhook_chaos")]
    assert {e.use for e in provider} == {"provider_errors", "provider_declines", "webhook_chaos"}
    assert all(60 <= e.at and e.end <= 110 for e in provider) and s.total == 120
