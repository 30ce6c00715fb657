"""Fixtures shared by every test folder: a virtual clock patched into the run, a fake target and a run context.

tests/fakes.py holds the in-memory stand-ins (a Toxiproxy, a Locust child, a Target); the fixtures here wire
them to the run session (harness.session, harness.run, harness.capacity), so its phases are tested in
milliseconds and without a process.
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))   # `import fakes` from any test folder

from fakes import FakeClock, FakeLocust, FakeTarget, LocustScript, locust_factory  # noqa: E402


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    """Virtual time for the run session: sleeps return at once and move the clock on."""
    import harness.capacity.step as step_mod
    import harness.run as run_mod
    import harness.session as session_mod

    fake = FakeClock()
    for mod in (session_mod, run_mod, step_mod):
        monkeypatch.setattr(mod, "time", fake)
    return fake


@pytest.fixture
def fake_target() -> FakeTarget:
    return FakeTarget()


@pytest.fixture
def locust_script() -> LocustScript:
    """How the fake Locust behaves in this test (change its fields before the run starts)."""
    return LocustScript()


@pytest.fixture
def fake_locusts(monkeypatch, clock: FakeClock, locust_script: LocustScript) -> list[FakeLocust]:
    """The run session starts fake Locust children (appended to the returned list) instead of real ones."""
    import harness.session as session_mod

    made: list[FakeLocust] = []
    monkeypatch.setattr(session_mod, "LocustRun", locust_factory(clock, locust_script, made))
    return made


@pytest.fixture
def run_options(tmp_path: Path):
    """RunOptions for a short calm profile, writing under tmp_path/runs."""
    from harness.profiles import profile
    from harness.session import RunOptions

    prof = profile("calm").with_overrides(duration_s=10.0, drain_deadline_s=20.0)
    return RunOptions(profile=prof, out_root=tmp_path / "runs")


@pytest.fixture
def run_ctx(run_options, tmp_path: Path):
    """A RunContext over a fresh run folder, with quiet progress."""
    from harness.progress import Progress
    from harness.session import RunContext

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    return RunContext(run_options, run_dir, Progress(quiet=True))


@pytest.fixture
def stack_dir():
    """A fresh folder a real stack can live in: PostgreSQL and RabbitMQ run as their own users when we are root,
    so it is world-traversable (pytest's tmp_path is 0700). Removed afterwards unless DINERUSH_KEEP_TEST_RUN."""
    path = Path(tempfile.mkdtemp(prefix="dinerush-test-"))
    os.chmod(path, 0o755)
    yield path
    if not os.environ.get("DINERUSH_KEEP_TEST_RUN"):
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def runs_root():
    """A folder for one test module's real runs (tests/e2erun.py)."""
    from e2erun import make_runs_root
    yield from make_runs_root()
