"""The stack under hostile input: schemathesis fuzzes each service's live OpenAPI (bounded, seeded examples).

For every operation of the orders API, the gateway and the KDS, positive and negative cases are sent to the real
services (real PostgreSQL and RabbitMQ). Each answer must not be a 5xx and must match the documented response
schema; negative cases must be refused with a 4xx. Around every single call the service's database is
fingerprinted (count and md5 of every table), so a rejected request that persisted anything — a row, an update —
fails with the request as a curl command. Creating calls must create exactly what their answer says.
"""
from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import psycopg
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
)

from harness.runtime.procs import free_port
from stacktest import ORDER, Infra, Service, Stack, new_key

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 50           # per operation and generation mode
CALL_TIMEOUT_S = 15.0
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
NEGATIVE_CHECKS = [*CHECKS, negative_data_rejection]
REFUSED_BUT_DECIDED = {402}  # a declined payment is a business answer that records PAYMENT_FAILED, not a rejection

ORDERS_TABLES = ("orders", "idempotency_keys", "outbox")
GATEWAY_TABLES = ("charges",)
KITCHEN_TABLES = ("tickets",)


@dataclass(frozen=True)
class TableState:
    rows: int
    digest: str


@dataclass(frozen=True)
class DbState:
    tables: dict[str, TableState]

    def rows(self, table: str) -> int:
        return self.tables[table].rows

    def changed(self, other: "DbState") -> list[str]:
        return [t for t in self.tables if self.tables[t] != other.tables[t]]


class Db:
    """One autocommit connection to a service's database; `state()` fingerprints the given tables."""

    def __init__(self, dsn: str, tables: tuple[str, ...]):
        self.conn = psycopg.connect(dsn, autocommit=True)
        self.tables = tables

    def state(self) -> DbState:
        out = {}
        for t in self.tables:
            n, digest = self.conn.execute(
                f"SELECT count(*), coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM {t} x").fetchone()
            out[t] = TableState(n, digest)
        return DbState(out)

    def close(self) -> None:
        self.conn.close()


@dataclass
class Fuzzed:
    """What one service answered, per operation: status code counts (reported and checked for coverage)."""

    statuses: dict[str, Counter] = field(default_factory=dict)

    def add(self, label: str, status: int) -> None:
        self.statuses.setdefault(label, Counter())[status] += 1


@dataclass
class Hostile:
    infra: Infra
    stack: Stack
    orders: Service
    gateway: Service
    kitchen: Service


@pytest.fixture(scope="module")
def hostile(infra: Infra):
    """A private orders API + gateway + KDS (no relay, so the outbox only changes through the API)."""
    stack = Stack(infra, "fuzz")
    orders_port = free_port()
    try:
        gateway = stack.gateway(f"http://127.0.0.1:{orders_port}/payments/notify")
        # generous gateway timeout: a pay must settle inside its own call, never later through the reconciler
        orders = stack.orders(gateway.url, port=orders_port, gateway_timeout=10.0)
        kitchen = stack.kitchen()
        yield Hostile(infra, stack, orders, gateway, kitchen)
    finally:
        stack.stop()


def operations(svc: Service) -> dict[str, APIOperation]:
    """The operations of the service's live OpenAPI (`/openapi.json`), by label ("POST /orders")."""
    schema = schemathesis.openapi.from_url(svc.url + "/openapi.json", timeout=10)
    return {op.label: op for op in (result.ok() for result in schema.get_all_operations())}


def fuzz(strategy, run_case: Callable[[Case], None]) -> None:
    """Run `run_case` on up to MAX_EXAMPLES cases drawn from `strategy`; seeded, no deadline, no shrinking."""

    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=(Phase.explicit, Phase.generate), suppress_health_check=list(HealthCheck),
              print_blob=False)
    @given(case=strategy)
    def one(case: Case) -> None:
        run_case(case)

    one()


Expect = Callable[[Case, Response, DbState, DbState], None]


def replayed(r: Response) -> bool:
    return r.headers.get("idempotent-replayed") == ["true"]  # schemathesis: lowercase keys, list values


def unchanged(case: Case, r: Response, before: DbState, after: DbState) -> None:
    changed = before.changed(after)
    assert not changed, (f"{case.operation.label} answered {r.status_code} but changed {changed}:\n"
                         f"{case.as_curl_command()}")


def runner(base_url: str, db: Db, session: requests.Session, seen: Fuzzed, checks: list,
           expect_success: Expect) -> Callable[[Case], None]:
    """Calls one case, validates the answer, and checks what the call persisted."""

    def run_case(case: Case) -> None:
        before = db.state()
        r = case.call(base_url=base_url, session=session, timeout=CALL_TIMEOUT_S)
        after = db.state()
        seen.add(case.operation.label, r.status_code)
        case.validate_response(r, checks=checks)
        if 400 <= r.status_code < 500 and r.status_code not in REFUSED_BUT_DECIDED:
            unchanged(case, r, before, after)  # rejected: nothing persisted
        else:
            expect_success(case, r, before, after)

    return run_case


def negatable(op: APIOperation, fixed_path: bool = False) -> bool:
    """Whether a negative case exists at all: not without inputs, nor for a bare string in the path."""
    constrained_path = not fixed_path and any(
        set(p.definition.get("schema", {})) - {"type", "title", "description"} for p in op.path_parameters)
    return bool(op.body) or len(op.query) + len(op.headers) > 0 or constrained_path


def modes(op: APIOperation, **kw) -> list:
    plans = [(GenerationMode.POSITIVE, op.as_strategy(GenerationMode.POSITIVE, **kw), CHECKS)]
    if negatable(op, fixed_path="path_parameters" in kw):
        plans.append((GenerationMode.NEGATIVE, op.as_strategy(GenerationMode.NEGATIVE, **kw), NEGATIVE_CHECKS))
    return plans


# ---- orders API ------------------------------------------------------------------------------------------------


def orders_expect(case: Case, r: Response, before: DbState, after: DbState) -> None:
    label = case.operation.label
    if case.method == "GET":
        unchanged(case, r, before, after)
    elif label == "POST /orders":
        if replayed(r):
            unchanged(case, r, before, after)
        else:
            assert r.status_code == 201, r.text
            assert (after.rows("orders") - before.rows("orders"),
                    after.rows("idempotency_keys") - before.rows("idempotency_keys"),
                    after.rows("outbox") - before.rows("outbox")) == (1, 1, 0), (
                r.status_code, dict(r.headers), r.text, case.headers, case.as_curl_command())
    else:  # pay / notify: may settle an existing order, never create one; a ticket only with PAID
        assert after.rows("orders") == before.rows("orders"), case.as_curl_command()
        assert after.tables["idempotency_keys"] == before.tables["idempotency_keys"], case.as_curl_command()
        added = after.rows("outbox") - before.rows("outbox")
        assert added in (0, 1), case.as_curl_command()
        if added:
            assert r.json().get("status") == "PAID", (r.status_code, r.text)


def with_menu_dishes(case: Case, dishes: list[str], fresh: int) -> Case:
    """A positive order made acceptable: real dish ids (so it prices), integer quantities (JSON Schema lets 3.0
    be an integer; the strict API does not) and, half the time, a fresh key."""
    if isinstance(case.body, dict) and isinstance(case.body.get("items"), list):
        for item in case.body["items"]:
            if isinstance(item, dict) and isinstance(item.get("dish_id"), str):
                item["dish_id"] = dishes[len(item["dish_id"]) % len(dishes)]
            if isinstance(item, dict) and isinstance(item.get("qty"), float) and item["qty"].is_integer():
                item["qty"] = int(item["qty"])
    if fresh % 2 and case.headers and "Idempotency-Key" in case.headers:
        case.headers["Idempotency-Key"] = f"{case.headers['Idempotency-Key'][:60]}-{fresh}"
    return case


def with_real_order(case: Case, order: tuple[str, int], exact_amount: bool) -> Case:
    """A notify about one of the orders placed for the test (sometimes with the right amount)."""
    if isinstance(case.body, dict) and "merchant_ref" in case.body:
        case.body["merchant_ref"] = order[0]
        if exact_amount and "amount_cents" in case.body:
            case.body["amount_cents"] = order[1]
    return case


def test_orders_api_under_hostile_input(hostile: Hostile):
    svc = hostile.orders
    ops = operations(svc)
    assert {"GET /menu", "POST /orders", "GET /orders/{order_id}", "POST /orders/{order_id}/pay",
            "POST /payments/notify"} <= set(ops), sorted(ops)
    header = next(p for p in ops["POST /orders"].headers if p.name == "Idempotency-Key")
    assert header.is_required

    dishes = [d["id"] for d in httpx.get(svc.url + "/menu").json()["dishes"] if not d["sold_out"]]
    placed = []  # real orders for pay/notify to act on
    for _ in range(6):
        r = httpx.post(svc.url + "/orders", json=ORDER, headers={"Idempotency-Key": new_key("fuzz")})
        assert r.status_code == 201, r.text
        placed.append((r.json()["order_id"], r.json()["total_cents"]))
    real_ids = st.sampled_from(placed)
    fresh = itertools.count(1)

    db, seen = Db(svc.dsn, ORDERS_TABLES), Fuzzed()
    try:
        with requests.Session() as session:
            for label, op in sorted(ops.items()):
                plans = modes(op)
                if label == "POST /orders":
                    plans.append((GenerationMode.POSITIVE, op.as_strategy(GenerationMode.POSITIVE).map(
                        lambda c: with_menu_dishes(c, dishes, next(fresh))), CHECKS))
                elif label in ("GET /orders/{order_id}", "POST /orders/{order_id}/pay"):
                    for mode in GenerationMode:
                        if mode == GenerationMode.NEGATIVE and not negatable(op, fixed_path=True):
                            continue
                        plans.append((mode, real_ids.flatmap(lambda o, m=mode, op=op: op.as_strategy(
                            m, path_parameters={"order_id": o[0]})),
                            CHECKS if mode == GenerationMode.POSITIVE else NEGATIVE_CHECKS))
                elif label == "POST /payments/notify":  # positive only: the mapping could repair a negative case
                    plans.append((GenerationMode.POSITIVE, st.tuples(
                        op.as_strategy(GenerationMode.POSITIVE), real_ids, st.booleans()).map(
                        lambda t: with_real_order(*t)), CHECKS))
                for _mode, strategy, checks in plans:
                    fuzz(strategy, runner(svc.url, db, session, seen, checks, orders_expect))
    finally:
        db.close()
    print("orders API:", {k: dict(v) for k, v in seen.statuses.items()})

    # the fuzzing reached the interesting answers, not only validation errors
    assert seen.statuses["POST /orders"][201] > 0 and seen.statuses["POST /orders"][422] > 0
    assert seen.statuses["POST /orders"][400] > 0
    pay = seen.statuses["POST /orders/{order_id}/pay"]
    assert pay[404] > 0 and (pay[200] + pay[402]) > 0


# ---- gateway ---------------------------------------------------------------------------------------------------


def gateway_expect(case: Case, r: Response, before: DbState, after: DbState) -> None:
    if case.method == "GET" or replayed(r):
        unchanged(case, r, before, after)
    else:
        assert r.status_code == 201, r.text
        assert after.rows("charges") - before.rows("charges") == 1, case.as_curl_command()


def test_gateway_under_hostile_input(hostile: Hostile):
    svc = hostile.gateway
    ops = operations(svc)
    assert {"POST /charges", "GET /charges", "GET /charges/{charge_id}"} <= set(ops), sorted(ops)
    db, seen = Db(svc.dsn, GATEWAY_TABLES), Fuzzed()
    try:
        with requests.Session() as session:
            for _label, op in sorted(ops.items()):
                for _mode, strategy, checks in modes(op):
                    fuzz(strategy, runner(svc.url, db, session, seen, checks, gateway_expect))
    finally:
        db.close()
    print("gateway:", {k: dict(v) for k, v in seen.statuses.items()})
    assert seen.statuses["POST /charges"][201] > 0 and seen.statuses["POST /charges"][422] > 0


# ---- kitchen (KDS) ---------------------------------------------------------------------------------------------


def test_kitchen_under_hostile_input(hostile: Hostile):
    svc = hostile.kitchen
    ops = operations(svc)
    assert "GET /tickets/{order_id}" in ops, sorted(ops)
    db, seen = Db(svc.dsn, KITCHEN_TABLES), Fuzzed()
    try:
        with requests.Session() as session:
            for _label, op in sorted(ops.items()):
                for _mode, strategy, checks in modes(op):
                    fuzz(strategy, runner(svc.url, db, session, seen, checks, unchanged))
    finally:
        db.close()
    print("kitchen:", {k: dict(v) for k, v in seen.statuses.items()})
    assert seen.statuses["GET /tickets/{order_id}"][404] > 0
