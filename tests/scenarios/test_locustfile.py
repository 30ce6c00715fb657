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
