"""The seeded-defect registry: the union of every service's defects, each off by default and named once."""
from __future__ import annotations

import pytest

from stack import bugs
from stack.kitchen import bugs as kitchen_bugs
from stack.orders import bugs as orders_bugs
from stack.payments import bugs as payments_bugs


def test_registry_is_the_union_with_one_line_descriptions():
    assert {"no-idempotency", "publish-before-commit", "charge-without-key", "no-reconcile", "kitchen-auto-ack",
            "kitchen-no-dedupe", "timeout-says-declined", "kitchen-write-behind", "pending-timeout", "relay-transient",
            "relay-one-connection", "provider-5xx-declines", "soft-decline-retry", "notify-latest-wins"} <= set(bugs.REGISTRY)
    assert set(bugs.REGISTRY) == (set(orders_bugs.DESCRIPTIONS) | set(kitchen_bugs.DESCRIPTIONS)
                                  | set(payments_bugs.DESCRIPTIONS))
    assert all(d and "\n" not in d for d in bugs.REGISTRY.values())


def test_each_service_reads_only_its_own_defects():
    chosen = bugs.validate(["no-idempotency", "kitchen-auto-ack"])
    assert orders_bugs.Bugs.from_names(chosen) == orders_bugs.Bugs(no_idempotency=True)
    assert kitchen_bugs.Bugs.from_names(chosen) == kitchen_bugs.Bugs(kitchen_auto_ack=True)
    assert payments_bugs.Bugs.from_names(chosen) == payments_bugs.Bugs()
    assert orders_bugs.Bugs() == orders_bugs.Bugs.from_names(bugs.validate([]))  # all off by default


def test_every_defect_is_a_field_of_its_service():
    for module in (orders_bugs, kitchen_bugs):
        every = module.Bugs.from_names(set(module.DESCRIPTIONS))
        assert all(getattr(every, n.replace("-", "_")) for n in module.DESCRIPTIONS)


def test_unknown_name_names_the_valid_ones(capsys):
    with pytest.raises(bugs.UnknownBug, match="nope.*valid names are.*charge-without-key"):
        bugs.validate(["nope"])
    with pytest.raises(SystemExit) as exit_:
        bugs.validate_or_exit(["no-idempotency", "nope"])
    assert exit_.value.code == 64
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
