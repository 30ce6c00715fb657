"""Ledger lines: the orjson path of `to_json` is byte-identical to json.dumps of `to_dict`."""
from __future__ import annotations

import dataclasses
import json
import random

import pytest
from dataclasses import fields

from scenarios.ledger import Invalid, Item, LedgerEntry, Told, read_ledger


def _reference(e: LedgerEntry) -> str:
    return json.dumps(e.to_dict(), ensure_ascii=False, separators=(",", ":"))


def _random_entry(rng: random.Random) -> LedgerEntry:
    text = lambda: "".join(rng.choice('ab"\\\n\t\x01é王わ😀 ') for _ in range(rng.randint(0, 8)))  # noqa: E731
    maybe = lambda: text() if rng.random() < 0.7 else None  # noqa: E731
    return LedgerEntry(
        key=text(), kind=text(), items=tuple(Item(text(), rng.randint(1, 3), rng.randint(0, 10**6))
                                             for _ in range(rng.randint(0, 4))),
        expected_total_cents=rng.randint(0, 10**7), order=rng.choice(list(Told)), order_id=maybe(),
        order_reason=maybe(), payment=rng.choice([None, *Told]), payment_reason=maybe(),
        order_attempts=rng.randint(0, 5), payment_attempts=rng.randint(0, 5),
        started_at=rng.uniform(0, 2e9), ended_at=rng.choice([rng.uniform(0, 2e9), 1e-7, 1e17, 0.0]),
        worker=text(), extra={text(): text() for _ in range(rng.randint(0, 3))},
        invalid=tuple(rng.sample(list(Invalid), rng.randint(0, len(Invalid)))))


def test_to_dict_keys_are_the_fields_in_order():
    e = _random_entry(random.Random(1))
    assert list(e.to_dict()) == [f.name for f in fields(LedgerEntry)]


def test_to_json_is_byte_identical_to_json_dumps_and_round_trips():
    rng = random.Random(7)
    for _ in range(2000):
        e = _random_entry(rng)
        line = e.to_json()
        assert line == _reference(e)
        assert list(read_ledger([line])) == [e]


def test_fields_of_other_types_fall_back_to_the_encoder():
    base = dict(key="k", kind="dine_in", items=(Item("D01", 1, 100),), expected_total_cents=100, order=Told.OK)
    odd = [LedgerEntry(**base, started_at=1, ended_at=2),                      # int timestamps
           LedgerEntry(**base, ended_at=float("nan")),                          # json writes NaN
           LedgerEntry(**base, started_at=float("inf")),                        # json writes Infinity
           LedgerEntry(**{**base, "expected_total_cents": 1.5}),                # a float where an int belongs
           LedgerEntry(**base, extra={"n": 3})]                                 # a non-str extra value
    for e in odd:
        assert e.to_json() == _reference(e)


def test_orjson_writes_only_what_it_spells_as_json_does():
    """Timestamps across and at the edges of the range orjson spells as repr does, and numbers json and orjson
    spell apart (1e-05, NaN) where an int belongs: every line is still json's, byte for byte."""
    rng = random.Random(11)
    base = dict(key="k", kind="dine_in", items=(Item("D01", 1, 100),), expected_total_cents=100, order=Told.OK)
    stamps = [10 ** rng.uniform(-6, 18) for _ in range(3000)] + [1e-4, 1e16, 9.999999999999998e15, 1e-05, 0.0]
    for t in stamps:
        e = LedgerEntry(**base, started_at=t, ended_at=t * 1.0000001)
        assert e.to_json() == _reference(e), t
    odd = [LedgerEntry(**{**base, "items": (Item("D01", 1e-05, 100),)}),      # a float quantity json writes 1e-05
           LedgerEntry(**{**base, "items": (Item("D01", 1, float("nan")),)}),  # json writes NaN, orjson null
           LedgerEntry(**base, extra={"n": 1e-05}),                           # a float extra value
           LedgerEntry(**base, extra={3: "x"}),                               # a non-str key (orjson refuses it)
           LedgerEntry(**{**base, "order_attempts": 2**70})]                  # past orjson's 64 bits
    for e in odd:
        assert e.to_json() == _reference(e)


def test_a_ledger_line_written_before_the_invalid_field_still_loads():
    e = _random_entry(random.Random(3))
    d = e.to_dict()
    del d["invalid"]
    assert list(read_ledger([json.dumps(d)])) == [dataclasses.replace(e, invalid=())]


def test_an_unknown_invalid_value_is_a_line_error():
    d = _random_entry(random.Random(4)).to_dict()
    d["invalid"] = ["made_up"]
    try:
        list(read_ledger([json.dumps(d)]))
    except ValueError as err:
        assert "ledger line 1" in str(err)
    else:
        raise AssertionError("an unknown invalid value loaded")


def test_reading_many_shares_equal_carts_and_extras_and_keeps_every_value():
    rnd = random.Random(11)
    entries = [_random_entry(rnd) for _ in range(300)]
    lines = [e.to_json() for e in entries] + [entries[0].to_json()]
    back = list(read_ledger(lines))
    assert back[:-1] == entries and [e.to_json() for e in back[:-1]] == lines[:-1]
    assert back[0].items is back[-1].items and back[0].extra is back[-1].extra   # one object per distinct value
    with pytest.raises(TypeError):
        back[0].extra["x"] = "y"                                                 # shared, so read-only


def test_a_bad_ledger_line_names_its_number():
    good = _random_entry(random.Random(5)).to_json()
    for bad in ("{not json", '{"key": "k"}', good.replace('"order":"', '"order":"maybe'), good.replace('"qty":', '"qty":"x",')):
        with pytest.raises(ValueError, match="ledger line 3"):
            list(read_ledger([good, "", bad]))
