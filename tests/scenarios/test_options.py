"""The --dinerush-* options: typed, validated, one clear line per mistake."""
from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from scenarios.options import DEFAULT_MIX, KINDS, ScenarioUsageError, add_arguments, from_namespace, parse_mix


class Parser(argparse.ArgumentParser):
    def add_argument(self, *a, **kw):  # Locust's parser takes include_in_web_ui; plain argparse does not
        kw.pop("include_in_web_ui", None)
        return super().add_argument(*a, **kw)


def _ns(*argv: str) -> argparse.Namespace:
    p = Parser()
    add_arguments(p)
    return p.parse_args(list(argv))


def test_defaults_parse():
    o = from_namespace(_ns())
    assert o.shape == "none" and o.place_timeout == 4.0 and o.pay_timeout == 6.0
    assert o.ledger == Path("ledger.jsonl") and o.meta_path == Path("ledger.meta.json")
    assert set(o.mix) == set(KINDS) and o.mix == parse_mix(DEFAULT_MIX)


def test_values_are_read():
    o = from_namespace(_ns("--dinerush-seed", "9", "--dinerush-shape", "lunch_rush", "--dinerush-peak-users", "30",
                           "--dinerush-mix", "pos=1", "--dinerush-place-timeout", "2.5", "--dinerush-ledger", "x/l.jsonl"))
    assert (o.seed, o.shape, o.peak_users, o.place_timeout) == (9, "lunch_rush", 30, 2.5)
    assert o.mix == {"dine_in": 0.0, "takeaway": 0.0, "impatient": 0.0, "pos": 1.0}
    assert o.meta_path == Path("x/l.meta.json")


@pytest.mark.parametrize("argv,needle", [
    (("--dinerush-shape", "brunch"), "--dinerush-shape"),
    (("--dinerush-mix", "waiter=1"), "--dinerush-mix"),
    (("--dinerush-mix", "pos=-1"), "--dinerush-mix"),
    (("--dinerush-mix", "pos=0"), "positive weight"),
    (("--dinerush-mix", "pos=x"), "not a number"),
    (("--dinerush-place-timeout", "0"), "--dinerush-place-timeout"),
    (("--dinerush-pay-timeout", "-1"), "--dinerush-pay-timeout"),
    (("--dinerush-peak-users", "0"), "--dinerush-peak-users"),
    (("--dinerush-declined-rate", "2"), "--dinerush-declined-rate"),
    (("--dinerush-think", "-1"), "--dinerush-think"),
])
def test_bad_values_are_one_line_usage_errors(argv, needle):
    with pytest.raises(ScenarioUsageError) as err:
        from_namespace(_ns(*argv))
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_seed_from_the_web_form_may_be_text():
    ns = _ns()
    ns.dinerush_seed = "12"
    assert from_namespace(ns).seed == 12
    ns.dinerush_seed = "twelve"
    with pytest.raises(ScenarioUsageError, match="--dinerush-seed"):
        from_namespace(ns)
