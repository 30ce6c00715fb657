"""Bad input to `dinerush run` (issue 8): each is one line naming the fix, the right exit code (64 usage,
3 when the run cannot be judged), and no earlier run's files touched. Most need no process; the missing
Toxiproxy binary and the port taken after it was picked start real PostgreSQL/RabbitMQ (slow)."""
from __future__ import annotations

import hashlib
import json
import shutil
import socket
from pathlib import Path

import psutil
import pytest

import harness.runtime.toxiproxy as toxiproxy_mod
from harness.cli import main
from harness.errors import SetupError
from harness.runtime.local import LocalStack
from harness.runtime.toxiproxy import ToxiproxyServer, toxiproxy_binary


def tree_state(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under `folder`: content hash and mtime (ns)."""
    return {str(f.relative_to(folder)): (hashlib.sha256(f.read_bytes()).hexdigest(), f.stat().st_mtime_ns)
            for f in sorted(folder.rglob("*")) if f.is_file()}


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    """A runs folder holding an earlier run's files."""
    root = tmp_path / "runs"
    earlier = root / "20240101-120000-calm"
    (earlier / "logs").mkdir(parents=True)
    (earlier / "run.json").write_text('{"profile": {"name": "calm"}}')
    (earlier / "ledger.jsonl").write_text('{"key": "k1"}\n')
    (earlier / "summary.json").write_text('{"exit_code": 0}')
    (earlier / "logs" / "orders.log").write_text("started\n")
    return root


def dinerush(capsys, *args: str) -> tuple[int, str]:
    code = main(["run", *args, "--quiet"])
    captured = capsys.readouterr()
    return code, captured.err.strip()


def one_line(err: str) -> str:
    assert err.startswith("dinerush: ") and "\n" not in err, f"not one line: {err!r}"
    return err


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def external_config(path: Path, orders: str, db_host: str = "127.0.0.1:5432") -> Path:
    return write(path, f'[http]\norders = "{orders}"\n[databases]\norders = "postgresql://u@{db_host}/orders"\n'
                       f'gateway = "postgresql://u@{db_host}/gateway"\nkitchen = "postgresql://u@{db_host}/kitchen"\n')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- usage errors: exit 64, nothing created, earlier runs untouched --------------------------------------

def case_malformed_schedule(tmp: Path) -> tuple[list[str], list[str]]:
    f = write(tmp / "broken.toml", '[[fault]]\nat = 1\nfor = 2\nuse = "weak_network"\npreset = \n')
    return ["calm", "--schedule", str(f)], [f"{f}:5:", "not valid TOML"]


def case_bad_schedule_values(tmp: Path):
    f = write(tmp / "values.toml", '[[fault]]\nat = 1\nfor = 2\nuse = "weak_network"\npreset = "5g"\n')
    return ["calm", "--schedule", str(f)], [f"{f}:5:", "3g"]


def case_unknown_fault(tmp: Path):
    f = write(tmp / "unknown.toml", '[[fault]]\nat = 1\nfor = 2\nuse = "meteor_strike"\n')
    return ["calm", "--schedule", str(f)], [f"{f}:4:", "meteor_strike", "weak_network", "kitchen_drop"]


def case_missing_schedule_file(tmp: Path):
    return ["calm", "--schedule", str(tmp / "nope.toml")], ["no schedule file", "ci-gate"]


def case_schedule_longer_than_load(tmp: Path):
    return ["ci-gate", "--duration", "10"], ["raise --duration"]


def case_unknown_profile(tmp: Path):
    return ["brunch"], ["unknown profile 'brunch'", "ci-gate", "lunch-rush", "calm"]


def case_unknown_bug(tmp: Path):
    return ["calm", "--bug", "no-such-bug"], ["no-such-bug", "no-idempotency"]


def case_unknown_target(tmp: Path):
    return ["calm", "--target", "cloud"], ["unknown target 'cloud'", "local", "external"]


def case_external_without_config(tmp: Path):
    return ["calm", "--target", "external"], ["--config FILE"]


def case_external_config_missing(tmp: Path):
    return ["calm", "--target", "external", "--config", str(tmp / "absent.toml")], ["--config", "not an existing file"]


def case_external_config_incomplete(tmp: Path):
    f = write(tmp / "half.toml", '[http]\norders = "http://127.0.0.1:8000"\n')
    return ["calm", "--target", "external", "--config", str(f)], ["missing key 'databases'"]


def case_remote_http_target(tmp: Path):
    f = external_config(tmp / "remote.toml", "http://10.20.30.40:8000")
    return ["calm", "--target", "external", "--config", str(f)], ["10.20.30.40", "outside 127.0.0.1", "--allow-remote"]


def case_remote_database(tmp: Path):
    f = external_config(tmp / "remote-db.toml", "http://127.0.0.1:8000", db_host="db.example.com:5432")
    return ["calm", "--target", "external", "--config", str(f)], ["db.example.com", "--allow-remote"]


USAGE_CASES = [case_malformed_schedule, case_bad_schedule_values, case_unknown_fault, case_missing_schedule_file,
               case_schedule_longer_than_load, case_unknown_profile, case_unknown_bug, case_unknown_target,
               case_external_without_config, case_external_config_missing, case_external_config_incomplete,
               case_remote_http_target, case_remote_database]


@pytest.mark.parametrize("case", USAGE_CASES, ids=lambda c: c.__name__.removeprefix("case_"))
def test_usage_error_is_one_line_exit_64_and_touches_nothing(case, runs: Path, tmp_path: Path, capsys) -> None:
    before = tree_state(runs)
    args, says = case(tmp_path)
    code, err = dinerush(capsys, *args, "--out", str(runs))
    assert code == 64, err
    one_line(err)
    for part in says:
        assert part in err, f"{part!r} not in {err!r}"
    assert tree_state(runs) == before, "an earlier run's files changed, or a run folder was created"


def test_run_dir_of_an_earlier_run_is_refused_and_left_alone(runs: Path, capsys) -> None:
    earlier = runs / "20240101-120000-calm"
    before = tree_state(runs)
    code, err = dinerush(capsys, "calm", "--run-dir", str(earlier))
    assert code == 64, err
    assert "not empty" in one_line(err) and "--run-dir" in err
    assert tree_state(runs) == before


def test_a_new_run_never_reuses_an_earlier_run_folder(runs: Path, monkeypatch) -> None:
    """Two runs in the same second: the second gets its own folder."""
    from harness import session as session_mod

    class Frozen(session_mod.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2024, 1, 1, 12, 0, 0)
    monkeypatch.setattr(session_mod, "datetime", Frozen)
    before = tree_state(runs)
    made = session_mod.make_run_dir(runs, None, "calm")
    assert made.name == "20240101-120000-calm-2" and list(made.iterdir()) == []
    assert tree_state(runs) == before


# --- the run starts but cannot be judged: exit 3 ----------------------------------------------------------

def test_unreachable_external_target_is_inconclusive_and_says_to_start_it(runs: Path, tmp_path: Path,
                                                                           capsys) -> None:
    config = external_config(tmp_path / "down.toml", f"http://127.0.0.1:{free_port()}")
    before = tree_state(runs)
    run_dir = tmp_path / "against-nothing"
    code, err = dinerush(capsys, "calm", "--target", "external", "--config", str(config),
                         "--run-dir", str(run_dir))
    assert code == 3, err
    summary = json.loads((run_dir / "summary.json").read_text())
    said = " ".join(summary["inconclusive"])
    assert "target unreachable" in said and "start it" in said and "dinerush up --detach" in said, said
    assert tree_state(runs) == before


def test_toxiproxy_binary_lookup_names_make_setup(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(toxiproxy_mod, "REPO_ROOT", tmp_path)           # no .tools/bin here
    monkeypatch.setenv("PATH", str(tmp_path))                          # nor on PATH
    with pytest.raises(SetupError) as err:
        toxiproxy_binary()
    assert "make setup" in str(err.value) and "\n" not in str(err.value)


@pytest.fixture
def traversable(stack_dir):
    """A run root PostgreSQL/RabbitMQ (their own users when we are root) can enter (tests/conftest.py)."""
    return stack_dir


def children() -> set[int]:
    """Live (non-zombie) descendants of this test process."""
    alive = set()
    for p in psutil.Process().children(recursive=True):
        try:
            if p.status() != psutil.STATUS_ZOMBIE:
                alive.add(p.pid)
        except psutil.NoSuchProcess:
            continue
    return alive


@pytest.mark.slow
def test_missing_toxiproxy_binary_ends_the_run_inconclusive_naming_make_setup(traversable: Path, monkeypatch,
                                                                              capsys) -> None:
    monkeypatch.setattr(toxiproxy_mod, "REPO_ROOT", traversable)      # hide .tools/bin/toxiproxy-server
    assert shutil.which("toxiproxy-server") is None                   # and none on PATH
    run_dir = traversable / "no-toxiproxy"
    had = children()
    code, err = dinerush(capsys, "calm", "--duration", "5", "--run-dir", str(run_dir))
    assert code == 3, err
    summary = json.loads((run_dir / "summary.json").read_text())
    said = " ".join(summary["inconclusive"])
    assert "toxiproxy-server not found" in said and "make setup" in said, said
    assert "make setup" in " ".join(err.split())                     # also on the terminal
    assert children() - had == set(), "PostgreSQL/RabbitMQ started before the lookup were left running"


@pytest.mark.slow
def test_toxiproxy_port_taken_after_it_was_picked_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        server = ToxiproxyServer(tmp_path, port=holder.getsockname()[1])
        try:
            with pytest.raises(SetupError) as err:
                server.start(timeout=60)
        finally:
            server.stop()
    msg = str(err.value)
    assert f"127.0.0.1:{server.port}" in msg and "in use" in msg and "run again" in msg and "\n" not in msg, msg
    assert not server.child.alive()


@pytest.mark.slow
def test_local_stack_stops_what_it_started_when_a_port_is_taken(traversable: Path, monkeypatch) -> None:
    """The race between free_port() and the bind, in the middle of LocalStack.start (after PostgreSQL and
    RabbitMQ are up): one clear error, and nothing of the stack left running."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    monkeypatch.setattr(toxiproxy_mod, "free_port", lambda: holder.getsockname()[1])
    had = children()
    try:
        with pytest.raises(SetupError) as err:
            LocalStack(traversable / "port-taken").start()
    finally:
        holder.close()
    assert "in use" in str(err.value) and "run again" in str(err.value)
    assert children() - had == set()
