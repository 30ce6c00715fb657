"""PrivateRabbit: a real private node takes AMQP traffic, reports queue depths, and stops with its epmd."""
from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import tempfile
from pathlib import Path

import aio_pika
import pytest

from harness.errors import SetupError
from harness.runtime import rabbitmq as rmq
from harness.runtime.procs import pid_alive, process_tree
from harness.runtime.rabbitmq import PrivateRabbit, QueueDepth, trimmed_plugins


@pytest.fixture()
def run_dir():
    path = Path(tempfile.mkdtemp(prefix="dinerush-rmqtest-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


async def _publish_and_hold(url: str, queue: str, n: int, check) -> None:
    conn = await aio_pika.connect(url)
    try:
        ch = await conn.channel(publisher_confirms=True)
        await ch.declare_queue(queue, durable=True)
        for i in range(n):
            await ch.default_exchange.publish(aio_pika.Message(b"%d" % i, delivery_mode=2), routing_key=queue)
        check(QueueDepth(ready=n, unacked=0))
        consumer = await conn.channel()
        await consumer.set_qos(prefetch_count=1)
        q = await consumer.get_queue(queue)
        held = await q.get(no_ack=False)  # one message delivered, not acked
        assert held is not None
        check(QueueDepth(ready=n - 1, unacked=1))
    finally:
        await conn.close()


@pytest.mark.slow
def test_private_node_answers_reports_depth_and_stops_without_leftovers(run_dir: Path) -> None:
    rabbit = PrivateRabbit(run_dir)
    try:
        rabbit.start()
        assert rabbit.amqp_url == f"amqp://guest:guest@127.0.0.1:{rabbit.amqp_port}/"
        assert rabbit.node.endswith("@localhost") and rabbit.node.startswith("dinerush-")
        beam = rabbit.child.pid
        assert b"beam" in Path(f"/proc/{beam}/cmdline").read_bytes()  # the VM itself, not a relaying shell
        if os.geteuid() == 0:
            uid = pwd.getpwnam("rabbitmq").pw_uid
            assert Path(f"/proc/{beam}").stat().st_uid == uid
            assert (run_dir / "rabbitmq" / "mnesia").stat().st_uid == uid
        assert rabbit.queue_depth("no.such.queue") is None

        def check(want: QueueDepth) -> None:
            for _ in range(50):  # depth stats settle asynchronously inside the broker
                got = rabbit.queue_depth("kitchen.tickets")
                if got == want:
                    return
                __import__("time").sleep(0.1)
            assert got == want

        asyncio.run(_publish_and_hold(rabbit.amqp_url, "kitchen.tickets", 3, check))
        tree = process_tree(beam) | process_tree(rabbit.epmd.pid)
        assert rabbit.epmd.pid in tree
    finally:
        rabbit.stop()
    assert not [p for p in tree if pid_alive(p)]
    rabbit.stop()  # idempotent


def test_missing_rabbitmq_server_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(rmq, "_SERVER_CANDIDATES", (str(tmp_path / "nope"),))
    with pytest.raises(SetupError) as err:
        PrivateRabbit(tmp_path).launch()
    msg = str(err.value)
    assert "rabbitmq-server not found" in msg and "make setup" in msg and "\n" not in msg


def test_trimmed_plugins_keeps_rabbit_and_its_dependencies_only(tmp_path: Path) -> None:
    stock = tmp_path / "rabbitmq_server-9.9" / "plugins"
    apps = {"rabbit-9.9": "[kernel,stdlib,ra,rabbit_common]", "rabbit_common-9.9": "[kernel,jsx]",
            "ra-1.0": "[kernel,aten]", "aten-0.1": "[kernel]", "jsx-3.0": "[kernel]",
            "rabbitmq_prelaunch-9.9": "[kernel,rabbit_common]", "rabbitmq_management-9.9": "[rabbit,cowboy]",
            "cowboy-2.0": "[kernel]"}
    for name, deps in apps.items():
        (stock / name / "ebin").mkdir(parents=True)
        app = name.rsplit("-", 1)[0]
        (stock / name / "ebin" / f"{app}.app").write_text(f"{{application, {app}, [{{applications, {deps}}}]}}.")
    server = tmp_path / "rabbitmq_server-9.9" / "sbin" / "rabbitmq-server"
    server.parent.mkdir()
    server.write_text("#!/bin/sh\n")
    out = trimmed_plugins(server, tmp_path / "home" / "plugins")
    assert out is not None
    assert sorted(p.name for p in out.iterdir()) == [
        "aten-0.1", "jsx-3.0", "ra-1.0", "rabbit-9.9", "rabbit_common-9.9", "rabbitmq_prelaunch-9.9"]
    assert all(p.is_symlink() for p in out.iterdir())
    assert trimmed_plugins(tmp_path / "elsewhere" / "sbin" / "x", tmp_path / "h2") is None
