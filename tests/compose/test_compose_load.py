"""The load profile of docker-compose.yml for real: a Locust master and two scaled workers in containers drive the
stack, and the whole ledger arrives at the master (ledger.meta.json: every node's final batch, intents started
equal entries written)."""
from __future__ import annotations

import json

import pytest

from harness.runtime.compose import ComposeStack
from harness.runtime.compose_host import host_network
from harness.runtime.compose_settings import ComposeSettings, HostImages, LoadSettings

pytestmark = [pytest.mark.slow, pytest.mark.compose, pytest.mark.timeout(2400)]


def test_master_and_two_workers_write_one_whole_ledger(local_images, tmp_path, docker_client) -> None:
    images = HostImages(local_images.toxiproxy, local_images.postgres, local_images.rabbitmq, local_images.app)
    stack = ComposeStack(tmp_path / "run", ComposeSettings(project="dinerush-load-test",
                                                           host_network=host_network(images)))
    try:
        stack.up()
        stack.start_load(LoadSettings(workers=2, users=6, spawn_rate=6, run_time_s=15, seed=3))
        workers = stack.containers("worker")
        code = stack.wait_load(timeout=300)
    finally:
        stack.down()
    assert len(workers) == 2
    meta = json.loads((stack.out_dir / "ledger.meta.json").read_text())
    assert meta["written"] > 0 and meta["conserved"] and meta["complete"], meta
    shipping = [name for name, n in meta["nodes"].items() if n["received"] > 0]
    assert len(shipping) == 2, meta["nodes"]          # both workers' entries, none from the master itself
    lines = (stack.out_dir / "ledger.jsonl").read_text().splitlines()
    assert len(lines) == meta["written"]
    assert code in (0, 1), f"Locust master exit {code}: see {stack.run_dir / 'logs' / 'master.log'}"
    assert (stack.run_dir / "logs" / "master.log").stat().st_size > 0
    assert docker_client.containers.list(all=True, filters={"label": "com.docker.compose.project=dinerush-load-test"}) == []
