"""What the diner was told, per the stack's HTTP contract (stack/README.md)."""
from __future__ import annotations

import pytest

from scenarios.ledger import Told
from scenarios.outcome import Answer, classify_pay, classify_place, classify_status

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
    (Answer(502, None), UNK, True),
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
