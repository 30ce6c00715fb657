"""Real-process fixtures for the stack's end-to-end tests: one private PostgreSQL, RabbitMQ and Toxiproxy per session."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from harness.runtime.postgres import PrivatePostgres
from harness.runtime.rabbitmq import PrivateRabbit
from harness.runtime.toxiproxy import ToxiproxyServer
from stacktest import Infra


@pytest.fixture(scope="session")
def infra() -> Infra:
    # not pytest's tmp_path: as root, /tmp/pytest-of-root is 0700 and the postgres/rabbitmq users cannot enter it
    run_dir = Path(tempfile.mkdtemp(prefix="dinerush-stacktest-"))
    os.chmod(run_dir, 0o755)
    pg = PrivatePostgres(run_dir)
    rabbit = PrivateRabbit(run_dir)
    tox = ToxiproxyServer(run_dir)
    try:
        pg.start()
        rabbit.start()
        tox.start()
        yield Infra(run_dir, pg, rabbit, tox)
    finally:
        tox.stop()
        rabbit.stop()
        pg.stop()
        if not os.environ.get("DINERUSH_KEEP_TEST_RUN"):
            shutil.rmtree(run_dir, ignore_errors=True)


