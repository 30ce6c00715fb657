"""The locustfile's command line: bad dinerush options are a one-line error and exit 64, before any load."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow  # starts real Locust processes


def test_unknown_diner_kind_in_the_mix_is_usage_error(tmp_path, run_locust):
    r = run_locust(["--headless", "--host", "http://127.0.0.1:9", "-u", "1", "-t", "1s", "--dinerush-mix", "waiter=1"],
                   tmp_path / "ledger.jsonl", timeout=60)
    assert r.returncode == 64, r.output[-2000:]
    assert "dinerush: --dinerush-mix" in r.output


def test_an_existing_ledger_is_refused_not_overwritten(tmp_path, run_locust):
    ledger = tmp_path / "ledger.jsonl"
    ledger.write_text('{"old": 1}\n')
    r = run_locust(["--headless", "--host", "http://127.0.0.1:9", "-u", "1", "-t", "1s"], ledger, timeout=60)
    assert r.returncode == 64 and "already holds entries" in r.output, r.output[-2000:]
    assert ledger.read_text() == '{"old": 1}\n'


def test_locust_sees_exactly_the_registered_diner_kinds(tmp_path, run_locust):
    from scenarios.diners.kinds import KINDS

    r = run_locust(["--list"], tmp_path / "ledger.jsonl", timeout=60)
    assert r.returncode == 0, r.output[-2000:]
    listed = {line.strip() for line in r.output.splitlines()} & {k.user.partition(":")[2] for k in KINDS.values()}
    assert listed == {k.user.partition(":")[2] for k in KINDS.values()}, r.output[-2000:]


def test_a_user_class_of_an_unregistered_kind_is_refused_not_run_at_weight_1(tmp_path):
    """A locustfile that adds its own diner class without registering its kind: exit 64 naming the table."""
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]

    locustfile = tmp_path / "with_waiter.py"
    locustfile.write_text(
        "from locust import task\n"
        "from scenarios.locustfile import *  # noqa: F401,F403  (the registered diners and the dinerush wiring)\n"
        "from scenarios.diners.base import DinerUser\n\n\n"
        "class Waiter(DinerUser):\n    kind = 'waiter'\n\n    @task\n    def serve(self):\n        pass\n")
    r = subprocess.run([sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--host",
                        "http://127.0.0.1:9", "-u", "1", "-t", "1s", "--dinerush-ledger", str(tmp_path / "l.jsonl")],
                       cwd=repo, capture_output=True, text=True, timeout=60)
    out = r.stdout + r.stderr
    assert r.returncode == 64, out[-2000:]
    assert "Waiter" in out and "not registered" in out and "scenarios/diners/kinds.py" in out, out[-2000:]
