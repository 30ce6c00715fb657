"""The reference stack as one adapter among others: `dinerush up --detach`, then ci-gate through `--target adapter`
with the built-in halves (scenarios.adapters.reference:ReferenceAdapter, harness.reference_records:ReferenceRecords)
and the stack's links declared in the config (dinerush recreates them on the stack's Toxiproxy). Same verdicts as
the local target: the correct stack passes, a seeded defect is caught by the same check."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from faults.client import ToxiproxyClient

from e2erun import cli, detached_stack_root

pytestmark = pytest.mark.slow


@pytest.fixture
def runs():
    yield from detached_stack_root("dinerush-adapter-ref-")


def adapter_config(runs: Path) -> Path:
    """The adapter target config for the detached stack: its DSNs, its diner_edge address and its links."""
    e = json.loads((runs / "stack" / "state.json").read_text())["endpoints"]
    with ToxiproxyClient(e["toxiproxy_url"]) as client:
        links = client.proxies()
    text = f'''[adapter]
diner = "scenarios.adapters.reference:ReferenceAdapter"
records = "harness.reference_records:ReferenceRecords"
[adapter.settings]
orders = "{e["orders_dsn"]}"
gateway = "{e["gateway_dsn"]}"
kitchen = "{e["kitchen_dsn"]}"
rabbit_node = "{e["rabbit"]["node"]}"
rabbit_dist_port = {e["rabbit"]["dist_port"]}
rabbit_cookie_file = "{e["rabbit"]["cookie_file"]}"
[http]
diners = "{e["orders_api_url"]}"
[toxiproxy]
url = "{e["toxiproxy_url"]}"
''' + "".join(f'[[links]]\nname = "{n}"\nlisten = "{p.listen}"\nupstream = "{p.upstream}"\n'
              for n, p in sorted(links.items()))
    path = runs / "adapter-target.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("bug, expect_code, broken", [
    (None, 0, None),
    ("kitchen-no-dedupe", 1, "duplicated"),
])
def test_ci_gate_through_the_reference_adapter(runs: Path, bug: str | None, expect_code: int, broken: str | None):
    up = cli("up", "--detach", "--runs", str(runs), *(["--bug", bug] if bug else []), timeout=240)
    assert up.returncode == 0, up.stdout + up.stderr
    run_dir = runs / "adapter-run"
    res = cli("run", "ci-gate", "--quiet", "--target", "adapter", "--config", str(adapter_config(runs)),
              "--run-dir", str(run_dir))
    summary = json.loads((run_dir / "summary.json").read_text())
    invalid = {c["name"] for c in summary["audit"]["checks"] if c["verdict"] == "invalid"}
    assert res.returncode == expect_code, (res.stdout + res.stderr)[-3000:]
    assert invalid == ({broken} if broken else set())
    assert all(not c["not_applicable"] for c in summary["audit"]["checks"])   # the reference stack has all three
