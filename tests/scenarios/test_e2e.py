"""Real Locust against the real local stack: the ledger says what diners were told, and the database agrees."""
from __future__ import annotations

import json
import time
import urllib.request
from collections import Counter

import psycopg
import pytest

from scenarios.ledger import Told

pytestmark = pytest.mark.slow

COMMON = ["--headless", "--csv-full-history", "--stop-timeout", "20", "--only-summary", "--loglevel", "WARNING",
          "--exit-code-on-error", "0"]


def _orders_by_key(dsn: str, keys: list[str]) -> dict[str, list[tuple]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT idempotency_key, id, status, total_cents FROM orders "
                            "WHERE idempotency_key = ANY(%s)", (keys,)).fetchall()
    out: dict[str, list[tuple]] = {}
    for key, oid, status, total in rows:
        out.setdefault(key, []).append((oid, status, total))
    return out


def _check_ledger_against_db(result, dsn: str) -> Counter:
    """Every intent accounted for; every `ok` order present once with the right total; no row for a `fail`."""
    entries = result.entries()
    meta = result.meta
    assert entries, result.output[-3000:]
    assert meta["started"] == meta["recorded"] == meta["written"] == len(entries), meta
    assert meta["conserved"] and meta["complete"], meta
    assert len({e.key for e in entries}) == len(entries)
    db = _orders_by_key(dsn, [e.key for e in entries])
    for e in entries:
        rows = db.get(e.key, [])
        if e.order is Told.OK:
            assert len(rows) == 1, (e, rows)
            oid, status, total = rows[0]
            assert oid == e.order_id and total == e.expected_total_cents, (e, rows)
            if e.payment is Told.OK:
                assert status == "PAID", (e, rows)
        elif e.order is Told.FAIL:
            assert rows == [], (e, rows)
    return Counter(e.order.value for e in entries)


def test_one_process_run_ledger_matches_the_orders_database(local_stack, tmp_path, run_locust):
    ep = local_stack.endpoints
    r = run_locust([*COMMON, "--host", ep.orders_api_url, "-u", "12", "-r", "12", "-t", "12s",
                    "--csv", str(tmp_path / "locust"), "--dinerush-seed", "5"], tmp_path / "ledger.jsonl")
    assert r.returncode == 0, r.output[-3000:]
    told = _check_ledger_against_db(r, ep.orders_dsn)
    assert told["ok"] > 20
    kinds = Counter(e.kind for e in r.entries())
    assert set(kinds) == {"dine_in", "takeaway", "impatient", "pos"}
    assert r.meta["nodes"].keys() == {"local"}
    assert (tmp_path / "locust_stats_history.csv").exists()
    names = (tmp_path / "locust_stats.csv").read_text()
    assert all(n in names for n in ("place", "pay", "menu"))


def test_two_worker_processes_lose_no_ledger_entry(local_stack, tmp_path, run_locust):
    ep = local_stack.endpoints
    r = run_locust([*COMMON, "--host", ep.orders_api_url, "-u", "12", "-r", "12", "-t", "12s", "--processes", "2",
                    "--csv", str(tmp_path / "locust"), "--dinerush-seed", "6"], tmp_path / "ledger.jsonl")
    assert r.returncode == 0, r.output[-3000:]
    told = _check_ledger_against_db(r, ep.orders_dsn)
    assert told["ok"] > 20
    nodes = r.meta["nodes"]
    assert len(nodes) == 2 and all(n["final"] and n["received"] > 0 for n in nodes.values()), nodes
    assert len({e.worker for e in r.entries()}) == 2


def test_a_load_shape_ends_the_run_by_itself(local_stack, tmp_path, run_locust):
    ep = local_stack.endpoints
    r = run_locust([*COMMON, "--host", ep.orders_api_url, "--dinerush-shape", "steps", "--dinerush-start-users", "2",
                    "--dinerush-step-users", "2", "--dinerush-step-seconds", "3", "--dinerush-peak-users", "6",
                    "--processes", "2", "--dinerush-seed", "8", "--csv", str(tmp_path / "locust")], tmp_path / "ledger.jsonl", timeout=120)
    assert r.returncode == 0, r.output[-3000:]
    _check_ledger_against_db(r, ep.orders_dsn)


def _set_link(toxiproxy_url: str, name: str, enabled: bool) -> None:
    req = urllib.request.Request(f"{toxiproxy_url}/proxies/{name}", data=json.dumps({"enabled": enabled}).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert json.loads(resp.read())["enabled"] is enabled


def test_offline_pos_queues_orders_and_syncs_them_with_their_final_outcome(local_stack, tmp_path, run_locust):
    ep = local_stack.endpoints

    def cut_link_for_a_while(proc) -> None:
        time.sleep(5)
        _set_link(ep.toxiproxy_url, "diner_edge", False)
        try:
            time.sleep(8)
        finally:
            _set_link(ep.toxiproxy_url, "diner_edge", True)

    r = run_locust([*COMMON, "--host", ep.orders_api_url, "-u", "3", "-r", "3", "-t", "22s", "--dinerush-mix", "pos=1",
                    "--dinerush-seed", "9", "--dinerush-place-timeout", "2", "--csv", str(tmp_path / "locust")], tmp_path / "ledger.jsonl",
                   during=cut_link_for_a_while)
    assert r.returncode == 0, r.output[-3000:]
    _check_ledger_against_db(r, ep.orders_dsn)
    entries = r.entries()
    queued = [e for e in entries if e.extra.get("queued")]
    assert len(queued) >= 3, Counter((e.order, e.extra.get("queued")) for e in entries)
    for e in queued:  # the link came back long before the end: every queued order learnt its final outcome
        assert e.order in (Told.OK, Told.FAIL) and not e.extra.get("unsynced"), e
        assert e.order is Told.FAIL or e.payment in (Told.OK, Told.FAIL), e
    assert any(e.order_attempts > 1 for e in queued)


def test_the_same_seed_gives_the_same_intents(local_stack, tmp_path, run_locust):
    ep = local_stack.endpoints
    runs = []
    for i in (1, 2):
        r = run_locust([*COMMON, "--host", ep.orders_api_url, "-u", "4", "-r", "4", "-t", "5s", "--dinerush-seed", "77",
                        "--csv", str(tmp_path / f"locust{i}")], tmp_path / f"ledger{i}.jsonl")
        assert r.returncode == 0, r.output[-3000:]
        runs.append({e.key.split("-", 1)[1]: (e.kind, e.items, e.extra.get("table"), e.extra.get("card"))
                     for e in r.entries()})
    a, b = runs
    common = a.keys() & b.keys()  # key = run id + worker-kind-user-n; the run id differs, the rest lines up
    assert len(common) >= 8 and all(a[k] == b[k] for k in common)


def _toxic(toxiproxy_url: str, proxy: str, body: dict | None, name: str) -> None:
    url = f"{toxiproxy_url}/proxies/{proxy}/toxics" + ("" if body else f"/{name}")
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body else None,
                                 method="POST" if body else "DELETE", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=5).close()


def test_diners_killed_mid_journey_still_write_one_entry_each(local_stack, tmp_path, run_locust):
    """No --stop-timeout: Locust kills diners mid-request (slow link); each intent still ends in the ledger."""
    ep = local_stack.endpoints
    _toxic(ep.toxiproxy_url, "diner_edge", {"name": "slow", "type": "latency", "stream": "downstream",
                                            "attributes": {"latency": 1200, "jitter": 300}}, "slow")
    try:
        r = run_locust(["--headless", "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0",
                        "--host", ep.orders_api_url, "-u", "12", "-r", "12", "-t", "6s", "--processes", "2",
                        "--dinerush-seed", "3"], tmp_path / "ledger.jsonl")
    finally:
        _toxic(ep.toxiproxy_url, "diner_edge", None, "slow")
    assert r.returncode == 0, r.output[-3000:]
    _check_ledger_against_db(r, ep.orders_dsn)
    stopped = [e for e in r.entries() if "stopped" in (e.order_reason or "") + (e.payment_reason or "")
               or "still queued" in (e.order_reason or "") + (e.payment_reason or "")]
    assert stopped, Counter((e.order, e.order_reason) for e in r.entries())
    assert all(Told.UNKNOWN in (e.order, e.payment) for e in stopped)
