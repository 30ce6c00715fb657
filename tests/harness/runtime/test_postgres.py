"""PrivatePostgres: a real private cluster answers on its own port with the three databases, and stops clean."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest

from harness.errors import SetupError
from harness.runtime import postgres as pgmod
from harness.runtime.postgres import DATABASES, PrivatePostgres
from harness.runtime.procs import pid_alive, process_tree


@pytest.fixture()
def run_dir():
    # not tmp_path: as root, /tmp/pytest-of-root is 0700 and the postgres user could not enter it
    path = Path(tempfile.mkdtemp(prefix="dinerush-pgtest-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.slow
def test_private_cluster_answers_and_stops_without_leftovers(run_dir: Path) -> None:
    pg = PrivatePostgres(run_dir)
    try:
        pg.start()
        for db in DATABASES:
            with psycopg.connect(pg.dsn(db)) as conn:
                assert conn.execute("SELECT current_database()").fetchone()[0] == db
                assert conn.execute("SHOW listen_addresses").fetchone()[0] == "127.0.0.1"
                assert conn.execute("SHOW fsync").fetchone()[0] == "off"
        assert pg.dsn("orders").startswith(f"postgresql://dinerush@127.0.0.1:{pg.port}/")
        assert (run_dir / "pg" / "data" / "PG_VERSION").exists()
        assert pg.socket_dir is not None and str(pg.socket_dir).startswith(str(run_dir))
        if os.geteuid() == 0:
            owner = Path(f"/proc/{pg.child.pid}").stat().st_uid
            assert owner == __import__("pwd").getpwnam("postgres").pw_uid
        tree = process_tree(pg.child.pid)
        assert len(tree) > 1  # postmaster + checkpointer, walwriter, a backend...
    finally:
        pg.stop()
    assert not [p for p in tree if pid_alive(p)]
    pg.stop()  # idempotent


def test_missing_initdb_names_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SetupError) as err:
        pgmod.postgres_bindir(debian_root=tmp_path / "nowhere")
    msg = str(err.value)
    assert "initdb not found" in msg and "make setup" in msg and "apt-get install" in msg
    assert "\n" not in msg
