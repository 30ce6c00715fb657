"""The process faults beyond service_crash on a real Docker engine. One `dinerush run --target compose` of the correct
stack holds service_pause (gateway), broker_restart and db_restart one after another with quiet windows; a second,
short run is interrupted (SIGINT, as Ctrl-C) while the gateway is paused. What happened is read from the engine
(container events, each with the container's state read back) and from the containers' own logs, not from
dinerush's timeline alone."""
from __future__ import annotations

import os
import re
import signal
import time

import pytest
from composerun import NO_LATENCY_SLO, EngineEvents, finish, project_containers, start_run
from e2erun import applied_and_healed, failing

pytestmark = [pytest.mark.slow, pytest.mark.compose, pytest.mark.timeout(2400)]

FAULTS = ("service_pause", "broker_restart", "db_restart")
SCHEDULE = """
name = "compose-process-faults"
duration = 75

[[fault]]       # 6-14 s: the gateway frozen (docker pause), thawed at 14 s
at = 6
for = 8
use = "service_pause"
service = "gateway"

# 14-20 s quiet: the thawed gateway answers its queue; the reconciler settles what the pause left pending

[[fault]]       # 20-25 s: RabbitMQ stopped (SIGTERM), started again at 25 s in the same container, on its data
at = 20
for = 5
use = "broker_restart"

# 25-42 s quiet: the broker boots (its healthcheck counts), the KDS and the relay reconnect and drain

[[fault]]       # 42-46 s: PostgreSQL immediate shutdown (SIGQUIT), started again at 46 s: crash recovery
at = 42
for = 4
use = "db_restart"

# 46-75 s quiet: the pools reconnect, the diners' retries land, the outbox drains
"""
SIGTERM, SIGQUIT = str(int(signal.SIGTERM)), str(int(signal.SIGQUIT))
# the reference stack declares one durable queue, kitchen.tickets (stack/common/amqp.py); RabbitMQ logs at boot how
# many durable queues it recovered from its data, before any client can declare one again
RECOVERED = re.compile(r"Recovering (\d+) queues of type rabbit_classic_queue")


def restarted(events: EngineEvents, service: str, sig: str) -> list[str]:
    """The service's first four events, asserted to be one container: started, signalled `sig`, died, started."""
    seen = events.of(service)[:4]
    assert [(e.action, e.signal if e.action == "kill" else "") for e in seen] == [
        ("start", ""), ("kill", sig), ("die", ""), ("start", "")], events.of(service)
    assert len({e.container for e in seen}) == 1, f"{service} was recreated, not restarted: {seen}"
    return [e.state for e in seen]


def test_pause_broker_restart_and_db_restart_on_a_real_engine(compose_env, compose_runs_root, docker_client) -> None:
    schedule = compose_runs_root / "process-faults.toml"
    schedule.write_text(SCHEDULE)
    run_dir = compose_runs_root / "process-faults"
    with EngineEvents(docker_client, run_dir) as events:
        proc, err = start_run(compose_env, run_dir, "calm", "--quiet", "--duration", "75",
                              "--schedule", str(schedule), *NO_LATENCY_SLO)
        code, summary = finish(proc, err, run_dir)

    # the correct stack conserved everything: every order present, every paid order's ticket shown once
    assert (failing(summary), summary["inconclusive"], code) == ({}, [], 0), err.read_text()[-3000:]
    checks = {c["name"]: c for c in summary["audit"]["checks"]}
    assert checks["lost"]["verdict"] == "valid" and not checks["lost"]["not_applicable"], checks["lost"]
    assert summary["audit"]["intents"] > 0
    applied, healed = applied_and_healed(run_dir)
    assert [s["fault"] for s in applied] == list(FAULTS) == [s["fault"] for s in healed], (applied, healed)

    # service_pause: the engine froze the gateway container, then thawed it (state read back at each event)
    frozen = [(e.action, e.state) for e in events.of("gateway") if e.action in ("pause", "unpause")]
    assert frozen[:2] == [("pause", "paused"), ("unpause", "running")], events.of("gateway")

    # broker_restart: SIGTERM, stopped, started again in the same container; its second boot recovered the
    # durable kitchen queue from the data the first one left
    assert restarted(events, "rabbitmq", SIGTERM)[2:] == ["exited", "running"]
    rabbit_log = (run_dir / "logs" / "rabbitmq.log").read_text()
    assert [int(n) for n in RECOVERED.findall(rabbit_log)] == [0, 1], rabbit_log[-3000:]

    # db_restart: SIGQUIT is PostgreSQL's immediate shutdown; the next start ran crash recovery (WAL replay)
    assert restarted(events, "postgres", SIGQUIT)[2:] == ["exited", "running"]
    pg_log = (run_dir / "logs" / "postgres.log").read_text()
    shutdown = pg_log.find("received immediate shutdown request")
    assert shutdown >= 0, pg_log[-3000:]
    assert pg_log.find("automatic recovery in progress", shutdown) > shutdown, pg_log[-3000:]

    assert project_containers(docker_client, run_dir) == []


def test_ctrl_c_while_the_gateway_is_paused_thaws_it_before_the_project_goes(compose_env, compose_runs_root,
                                                                            docker_client) -> None:
    """SIGINT while service_pause holds the gateway frozen: the fault is healed (the engine thaws the container
    before compose stops anything), exit 3, the project removed: no paused container is left behind."""
    schedule = compose_runs_root / "pause-sigint.toml"
    schedule.write_text('name = "pause-sigint"\nduration = 60\n\n[[fault]]\nat = 2\nfor = 50\n'
                        'use = "service_pause"\nservice = "gateway"\n')
    run_dir = compose_runs_root / "pause-sigint"
    with EngineEvents(docker_client, run_dir) as events:
        proc, err = start_run(compose_env, run_dir, "calm", "--duration", "60", "--schedule", str(schedule))
        deadline = time.monotonic() + 400
        while "pause" not in events.actions_of("gateway"):
            assert proc.poll() is None, f"run ended (code {proc.returncode}) before the pause: {err.read_text()}"
            assert time.monotonic() < deadline, f"gateway not paused after 400s: {err.read_text()[-2000:]}"
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGINT)
        code, summary = finish(proc, err, run_dir)

    assert code == 3 and summary["inconclusive"], (code, summary["inconclusive"], err.read_text()[-2000:])
    applied, healed = applied_and_healed(run_dir)
    assert [s["fault"] for s in applied] == ["service_pause"] == [s["fault"] for s in healed]
    gateway = [(e.action, e.state) for e in events.of("gateway")]
    assert gateway[:3] == [("start", "running"), ("pause", "paused"), ("unpause", "running")], gateway
    thawed = events.seen.index(next(e for e in events.seen if e.action == "unpause"))
    first_stop = next(i for i, e in enumerate(events.seen) if e.action in ("kill", "die"))
    assert thawed < first_stop, events.seen   # dinerush thawed it; compose's stop did not have to
    assert project_containers(docker_client, run_dir) == []
