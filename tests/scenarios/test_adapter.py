"""The diner half of the adapter contract: loading an adapter by name, and dinerush's retries around it."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from scenarios.adapter import DinerAdapter, load_class, place_retry
from scenarios.adapters import REFERENCE
from scenarios.adapters.reference import ReferenceAdapter
from scenarios.options import DinerushOptions, ScenarioUsageError, from_namespace
from scenarios.retry import RetryPolicy


def test_the_reference_adapter_is_the_default_and_loads_by_module_name():
    assert DinerushOptions().adapter == REFERENCE
    assert load_class(REFERENCE, DinerAdapter) is ReferenceAdapter


def test_an_adapter_loads_from_a_file(tmp_path):
    f = tmp_path / "my_adapter.py"
    f.write_text("from scenarios.adapter import DinerAdapter\nclass Mine(DinerAdapter):\n    idempotent_place = False\n")
    cls = load_class(f"{f}:Mine", DinerAdapter)
    assert issubclass(cls, DinerAdapter) and cls.idempotent_place is False


@pytest.mark.parametrize("spec, says", [
    ("no_colon", "give MODULE:Class"),
    ("scenarios.nope:X", "cannot import scenarios.nope"),
    ("scenarios.adapter:Nope", "has no class Nope"),
    ("scenarios.data:Menu", "must subclass scenarios.adapter.DinerAdapter"),
    ("/no/such/file.py:X", "not found"),
])
def test_a_bad_adapter_name_says_what_to_give(spec, says):
    with pytest.raises(ValueError, match=says):
        load_class(spec, DinerAdapter)


def test_the_adapter_option_is_read_from_locusts_namespace():
    ns = SimpleNamespace(dinerush_adapter="examples.x:Y")
    assert from_namespace(ns).adapter == "examples.x:Y"


class FakeAdapter(DinerAdapter):
    idempotent_place = False


def test_a_place_without_an_idempotency_token_is_never_retried():
    policy = RetryPolicy(max_attempts=4, base_seconds=0.25, cap_seconds=2.0)
    assert place_retry(FakeAdapter(None, None, {}), policy).max_attempts == 1
    assert place_retry(ReferenceAdapter, policy) is policy


def test_the_steps_a_user_must_write_are_not_silently_empty():
    a = DinerAdapter(None, None, {})
    for step, args in (("menu", ()), ("place", (None,)), ("pay", (None, "o1")), ("status", ("o1",))):
        with pytest.raises(NotImplementedError):
            getattr(a, step)(*args)


def test_an_unloadable_adapter_is_a_usage_error_in_the_locust_process():
    from scenarios.locust_wiring import DinerushRun
    env = SimpleNamespace(parsed_options=SimpleNamespace(dinerush_adapter="scenarios.nope:X"), runner=None)
    run = DinerushRun(env)
    with pytest.raises(ScenarioUsageError, match="--dinerush-adapter"):
        run.adapter_class
