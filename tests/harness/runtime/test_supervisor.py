"""The local supervisor on a real LocalStack: each process fault really kills, freezes and brings back its part
(service answering again, broker back with its durable queue and persistent messages, PostgreSQL recovered with
committed rows), and the dead-service check blames only a part that died by itself."""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import tempfile
from pathlib import Path

import httpx
import psycopg
import pytest

from faults.errors import FaultError
from faults.registry import get
from harness.probe import probe
from harness.runtime.local import LocalStack
from harness.runtime.procs import pid_alive
from harness.targets.local import LocalTarget

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack():
    run_dir = Path(tempfile.mkdtemp(prefix="dinerush-suptest-"))
    os.chmod(run_dir, 0o755)
    s = LocalStack(run_dir)
    try:
        with s:
            yield s
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


def _target(stack: LocalStack) -> LocalTarget:
    t = LocalTarget.__new__(LocalTarget)
    t.stack = stack
    return t


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


@pytest.mark.parametrize("service", ["kitchen", "relay", "orders", "gateway"])
def test_service_crash_kills_and_restarts_on_the_same_port_and_log(stack: LocalStack, service: str) -> None:
    sup, child = stack.supervisor, stack.services[service]
    old_pid, log = child.pid, child.log_path
    fault = get("service_crash")
    plan = fault.apply(_actuators(stack), fault.parse({"service": service}))
    assert not pid_alive(old_pid)
    assert _target(stack).dead_services() == []          # down on purpose: not "dead"
    fault.heal(_actuators(stack), plan)
    assert child.alive() and child.pid != old_pid
    assert "started again by dinerush" in log.read_text()
    assert probe(stack.endpoints.orders_api_url, stack.endpoints.kitchen_url, timeout=30).order_id
    assert sup.held() == frozenset()


def test_a_service_that_dies_by_itself_is_still_dead(stack: LocalStack) -> None:
    child = stack.services["relay"]
    os.killpg(child.pid, signal.SIGKILL)
    child.proc.wait(10)
    assert _target(stack).dead_services() == ["relay"]
    stack.supervisor.start("relay")   # put it back for the other tests
    assert _target(stack).dead_services() == []


def test_service_pause_freezes_then_thaws(stack: LocalStack) -> None:
    fault, child = get("service_pause"), stack.services["gateway"]
    plan = fault.apply(_actuators(stack), fault.parse({"service": "gateway"}))
    assert _state(child.pid) == "T"
    with pytest.raises(httpx.TimeoutException):
        httpx.get(stack.endpoints.gateway_url + "/health", timeout=1.0)
    fault.heal(_actuators(stack), plan)
    assert _state(child.pid) != "T"
    assert httpx.get(stack.endpoints.gateway_url + "/health", timeout=5.0).status_code == 200


def test_broker_restart_keeps_the_durable_queue_and_its_persistent_messages(stack: LocalStack) -> None:
    sup = stack.supervisor
    asyncio.run(_publish(stack.endpoints.amqp_url, "dinerush.suptest", 5))
    old = stack.rabbit.child.pid
    fault = get("broker_restart")
    plan = fault.apply(_actuators(stack), fault.parse())
    assert not pid_alive(old) and "rabbitmq" in sup.held()
    fault.heal(_actuators(stack), plan)
    assert stack.rabbit.queue_depth("dinerush.suptest").ready == 5
    assert probe(stack.endpoints.orders_api_url, stack.endpoints.kitchen_url, timeout=60).order_id


def test_db_restart_recovers_committed_rows(stack: LocalStack) -> None:
    dsn = stack.endpoints.orders_dsn
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS suptest (n int)")
        conn.execute("INSERT INTO suptest SELECT generate_series(1, 1000)")
    old = stack.postgres.child.pid
    fault = get("db_restart")
    plan = fault.apply(_actuators(stack), fault.parse())
    assert not pid_alive(old)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dsn, connect_timeout=2)
    fault.heal(_actuators(stack), plan)
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM suptest").fetchone()[0] == 1000
    assert probe(stack.endpoints.orders_api_url, stack.endpoints.kitchen_url, timeout=60).order_id


def test_a_part_that_does_not_come_back_is_a_fault_error_naming_it_and_its_log(stack: LocalStack) -> None:
    sup, child = stack.supervisor, stack.services["kitchen"]
    sup.kill("kitchen")
    argv, child.argv = child.argv, [child.argv[0], "-c", "import sys; sys.exit(3)"]
    try:
        with pytest.raises(FaultError, match=r"kitchen did not come back: .*kitchen\.log"):
            sup.start("kitchen")
    finally:
        child.argv = argv
    sup.start("kitchen")
    assert child.alive()


def _actuators(stack: LocalStack):
    from faults.actuators import Actuators
    from faults.client import ToxiproxyClient
    return Actuators(links=ToxiproxyClient(stack.endpoints.toxiproxy_url), processes=stack.supervisor)


async def _publish(url: str, queue: str, n: int) -> None:
    """n persistent messages into a durable queue, each confirmed by the broker."""
    import aio_pika
    conn = await aio_pika.connect(url)
    async with conn:
        ch = await conn.channel(publisher_confirms=True)
        await ch.declare_queue(queue, durable=True)
        for i in range(n):
            await ch.default_exchange.publish(
                aio_pika.Message(f"m{i}".encode(), delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=queue)
