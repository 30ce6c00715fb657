"""`dinerush run ci-gate-full` end to end on the real local stack: the correct stack passes through a KDS crash, a
broker restart, a database restart, a frozen gateway and a misbehaving payment provider; each defect that only
one of those faults exposes fails with the invariant it breaks. Each case is one real run (~2.5 min)."""
from __future__ import annotations

from pathlib import Path

import e2erun
import pytest
from e2erun import applied_and_healed, assert_caught, failing

pytestmark = pytest.mark.slow

# defect → the checker that must fail (and on which system of record), and the fault that exposes it
CAUGHT = {
    "kitchen-write-behind": ("lost", "tickets"),          # service_crash kitchen
    "relay-transient": ("lost", "tickets"),               # broker_restart (with the queue full)
    "relay-one-connection": ("lost", "tickets"),          # db_restart
    "pending-timeout": ("unexpected", "charges"),         # service_pause gateway
    "provider-5xx-declines": ("unexpected", "charges"),   # provider_errors after: captured, order PAYMENT_FAILED
    "soft-decline-retry": ("unexpected", "charges"),      # provider_declines: charged after the diner was told 402
    "notify-latest-wins": ("unexpected", "charges"),      # webhook_chaos reorder: a PAID order flipped
}
BEYOND_THE_WIRE = {"service_crash", "broker_restart", "db_restart", "service_pause",
                   "provider_errors", "provider_declines", "webhook_chaos"}


def dinerush_run(root: Path, name: str, *args: str) -> tuple[int, Path, dict]:
    return e2erun.dinerush_run(root, name, "ci-gate-full", *args, timeout=600)


def test_the_correct_stack_passes_ci_gate_full(runs_root: Path) -> None:
    code, run_dir, summary = dinerush_run(runs_root, "correct")
    assert (failing(summary), summary["inconclusive"], code) == ({}, [], 0)
    applied, healed = applied_and_healed(run_dir)
    assert BEYOND_THE_WIRE <= {s["fault"] for s in applied} and BEYOND_THE_WIRE <= {s["fault"] for s in healed}
    # each part really went down and came back: the planned crash and restart are marked in its own log
    assert "kitchen started again by dinerush" in (run_dir / "logs" / "kitchen.log").read_text()
    assert "rabbitmq started again by dinerush" in (run_dir / "logs" / "rabbitmq.log").read_text()
    assert "postgres started again by dinerush" in (run_dir / "logs" / "postgres.log").read_text()


@pytest.mark.parametrize("bug", sorted(CAUGHT))
def test_each_defect_beyond_the_wire_is_caught(runs_root: Path, bug: str) -> None:
    check, system = CAUGHT[bug]
    code, _, summary = dinerush_run(runs_root, bug, "--bug", bug)
    assert_caught(bug, code, summary, check, system)
