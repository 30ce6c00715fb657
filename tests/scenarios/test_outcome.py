"""What the diner was told, per the stack's HTTP contract (stack/README.md)."""
from __future__ import annotations

import json
import math
from dataclasses import dataclass

import pytest

from scenarios.ledger import Told
from scenarios.outcome import (Answer, answer_of, classify_pay, classify_place, classify_status, failure_of,
                               menu_of)

OK, FAIL, UNK = Told.OK, Told.FAIL, Told.UNKNOWN


@pytest.mark.parametrize("answer,told,retry", [
    (Answer(201, {"order_id": "o1", "status": "PLACED"}), OK, False),
    (Answer(200, {"order_id": "o1"}), OK, False),
    (Answer(201, {"status": "PLACED"}), UNK, True),            # no id: cannot call it ok
    (Answer(201, None), UNK, True),
    (Answer(400, {"detail": "Idempotency-Key required"}), FAIL, False),
    (Answer(404, None), FAIL, False),
    (Answer(413, None), FAIL, False),
    (Answer(422, {"detail": "dish D06 is sold out"}), FAIL, False),
    (Answer(409, {"detail": "in flight"}), UNK, True),         # in flight: retry, never fail
    (Answer(425, None), UNK, True),                            # "not now" is never a refusal (issue 11)
    (Answer(429, None), UNK, True),
    (Answer(500, None), UNK, True),
    (Answer(503, None), UNK, True),
    (Answer(None, None, "timeout"), UNK, True),
    (Answer(None, None, "connection reset"), UNK, True),
    (Answer(302, None), UNK, True),
])
def test_classify_place(answer, told, retry):
    v = classify_place(answer)
    assert (v.told, v.retry) == (told, retry)
    if told is OK:
        assert v.order_id == "o1"


def test_place_reasons_name_the_cause():
    assert "sold out" in classify_place(Answer(422, {"detail": "dish D06 is sold out"})).reason
    assert classify_place(Answer(None, None, "timeout")).reason == "timeout"
    assert "503" in classify_place(Answer(503, None)).reason


@pytest.mark.parametrize("answer,told,retry", [
    (Answer(200, {"status": "PAID", "charge_id": "c1"}), OK, False),
    (Answer(200, {"status": "PLACED"}), UNK, True),
    (Answer(402, {"status": "PAYMENT_FAILED"}), FAIL, False),
    (Answer(202, {"status": "PAYMENT_PENDING"}), UNK, True),
    (Answer(404, {"detail": "no such order"}), FAIL, False),
    (Answer(409, None), UNK, True),
    (Answer(425, None), UNK, True),
    (Answer(429, None), UNK, True),
    (Answer(502, None), UNK, True),
    (Answer(503, None), UNK, True),
    (Answer(None, None, "timeout"), UNK, True),
])
def test_classify_pay(answer, told, retry):
    v = classify_pay(answer)
    assert (v.told, v.retry) == (told, retry)


@pytest.mark.parametrize("answer,told", [
    (Answer(200, {"status": "PAID"}), OK),
    (Answer(200, {"status": "PAYMENT_FAILED"}), FAIL),
    (Answer(200, {"status": "PAYMENT_PENDING"}), UNK),
    (Answer(None, None, "timeout"), UNK),
    (Answer(500, None), UNK),
])
def test_classify_status_read(answer, told):
    assert classify_status(answer).told is told


@dataclass
class FakeResponse:  # what answer_of / failure_of read from a Locust FastResponse
    status_code: int
    content: bytes = b""
    error: BaseException | None = None


@pytest.mark.parametrize("resp,failure", [
    *[(FakeResponse(s), None) for s in (200, 201, 202, 402, 404, 409, 422)],  # definite answers: Locust successes
    (FakeResponse(503), "http 503"),
    (FakeResponse(0, error=ConnectionRefusedError()), "connection refused"),
    (FakeResponse(0, error=ConnectionResetError()), "connection reset"),
    (FakeResponse(0, error=TimeoutError()), "timeout"),
    (FakeResponse(0, error=OSError()), "OSError"),
    (FakeResponse(0), "no answer"),
])
def test_what_locust_is_told_per_answer(resp, failure):
    assert failure_of(resp) == failure


def test_answer_of_reads_json_objects_only():
    body = {"order_id": "o1", "note": "少辣"}
    assert answer_of(FakeResponse(201, json.dumps(body, ensure_ascii=False).encode())) == Answer(201, body)
    assert answer_of(FakeResponse(201, json.dumps(body).encode())) == Answer(201, body)
    assert answer_of(FakeResponse(502, b"<html>bad gateway</html>")) == Answer(502)
    assert answer_of(FakeResponse(200, b"[1, 2]")) == Answer(200)
    assert answer_of(FakeResponse(200, b"\xff\xfe{")) == Answer(200)
    assert answer_of(FakeResponse(204)) == Answer(204)
    assert answer_of(FakeResponse(0, error=ConnectionResetError())) == Answer(None, None, "connection reset")


def test_answer_of_reads_as_json_does_even_where_orjson_would_not():
    """Why answers are not read by orjson: it reads an integer past 64 bits as a float, which a reason text shows."""
    big = answer_of(FakeResponse(409, b'{"detail": 123456789012345678901234567890}'))
    assert big.body == {"detail": 123456789012345678901234567890} and type(big.body["detail"]) is int
    nan = answer_of(FakeResponse(200, b'{"total": NaN, "status": "PAID"}'))
    assert nan.body is not None and math.isnan(nan.body["total"]) and nan.body["status"] == "PAID"


MENU = {"dishes": [{"id": "D01", "name": "Mapo tofu", "price_cents": 1800, "sold_out": False}]}


def test_menu_of_needs_a_200_with_something_to_order():
    assert menu_of(Answer(200, MENU)).dishes[0].id == "D01"
    assert menu_of(Answer(503, MENU)) is None
    assert menu_of(Answer(200, None)) is None
    assert menu_of(Answer(200, {"dishes": [{"id": "D01"}]})) is None  # malformed
    assert menu_of(Answer(200, {"dishes": [{**MENU["dishes"][0], "sold_out": True}]})) is None
