"""Ctrl-C / SIGTERM in each phase of a real `dinerush run` (issue 8): exit 3, a partial report marked
inconclusive with the phase, no process of the run left alive, no toxic and no disabled proxy left behind,
and the run folder's ledger/logs kept. Each case is one short real run (calm, 10-25 s of load)."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
RUN_TIMEOUT = 240.0   # no run below may take this long; hitting it means the harness hung


@pytest.fixture(scope="module")
def root():
    # PostgreSQL and RabbitMQ run as their own users when we are root: the folder must be traversable.
    path = Path(tempfile.mkdtemp(prefix="dinerush-signals-"))
    os.chmod(path, 0o755)
    yield path
    if not os.environ.get("DINERUSH_KEEP_TEST_RUN"):
        shutil.rmtree(path, ignore_errors=True)


def schedule_file(root: Path, name: str, duration: int, faults: str) -> Path:
    path = root / f"{name}.toml"
    path.write_text(f'name = "{name}"\nduration = {duration}\n{faults}')
    return path


def cli(*args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


@dataclass
class Run:
    """One `dinerush run` in its own session (as a shell's foreground job would be), stderr to a file."""

    proc: subprocess.Popen
    run_dir: Path
    err_path: Path
    snapshot: dict[int, float] = field(default_factory=dict)   # pid → create_time, just before the signal

    @classmethod
    def start(cls, root: Path, name: str, *args: str) -> "Run":
        run_dir = root / name
        err_path, out_path = root / f"{name}.stderr", root / f"{name}.stdout"
        with open(err_path, "wb") as err, open(out_path, "wb") as out:
            # no --quiet: without a TTY the phase lines ("up:", "probe:", ...) are plain stderr lines
            proc = subprocess.Popen([sys.executable, "-m", "harness.cli", "run", *args, "--run-dir", str(run_dir)],
                                    stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=REPO,
                                    start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        return cls(proc, run_dir, err_path)

    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def in_phase(self, name: str) -> bool:
        return re.search(rf"^{name}:", self.stderr(), re.M) is not None

    def wait_for(self, ready, what: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"run ended (code {self.proc.returncode}) before {what}: {self.stderr()[-2000:]}")
            if ready():
                return
            time.sleep(0.02)
        raise AssertionError(f"not {what} after {timeout:.0f}s: {self.stderr()[-2000:]}")

    def tree(self) -> list[psutil.Process]:
        try:
            me = psutil.Process(self.proc.pid)
            return [me, *me.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def find(self, needle: str) -> psutil.Process | None:
        for p in self.tree():
            try:
                if any(needle in part for part in p.cmdline()):
                    return p
            except psutil.Error:
                continue
        return None

    def toxiproxy_url(self) -> str | None:
        p = self.find("toxiproxy-server")
        if p is None:
            return None
        argv = p.cmdline()
        return f"http://127.0.0.1:{argv[argv.index('-port') + 1]}"

    def files(self) -> set[str]:
        keep = ("logs/", "ledger", "run.json", "menu.json")
        return {str(f.relative_to(self.run_dir)) for f in self.run_dir.rglob("*")
                if f.is_file() and str(f.relative_to(self.run_dir)).startswith(keep)}

    def signal(self, sig: int, whole_group: bool = False) -> set[str]:
        """Snapshot the process tree and the kept files, then signal (the group: like Ctrl-C in a shell)."""
        self.snapshot = {}
        for p in self.tree():
            try:
                self.snapshot[p.pid] = p.create_time()
            except psutil.Error:
                pass
        files = self.files()
        if whole_group:
            os.killpg(self.proc.pid, sig)
        else:
            self.proc.send_signal(sig)
        return files

    def wait(self) -> int:
        try:
            return self.proc.wait(RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill_tree()
            raise AssertionError(f"the run hung {RUN_TIMEOUT:.0f}s after the signal: {self.stderr()[-2000:]}")

    def kill_tree(self) -> None:
        for p in reversed(self.tree()):
            try:
                p.kill()
            except psutil.Error:
                pass

    def survivors(self) -> list[str]:
        """Snapshotted processes still alive (same pid and start time, not a zombie)."""
        left = []
        for pid, created in self.snapshot.items():
            try:
                p = psutil.Process(pid)
                if p.create_time() == created and p.status() != psutil.STATUS_ZOMBIE:
                    left.append(f"{pid} {' '.join(p.cmdline())[:120]}")
            except psutil.NoSuchProcess:
                continue
        return left

    def summary(self) -> dict:
        path = self.run_dir / "summary.json"
        assert path.exists(), f"no summary.json after the signal; stderr: {self.stderr()[-2000:]}"
        return json.loads(path.read_text())


def check_interrupted(run: Run, code: int, files_before: set[str], sig: str, phases: tuple[str, ...]) -> str:
    assert code == 3, f"exit {code}: {run.stderr()[-2000:]}"
    summary = run.summary()
    assert summary["exit_code"] == 3
    said = [w for w in summary["inconclusive"] if w.startswith(f"interrupted by {sig}")]
    assert said, summary["inconclusive"]
    phase = said[0].rsplit(" ", 1)[1]
    assert phase in phases, f"{said[0]!r}: expected the phase to be one of {phases}"
    assert run.survivors() == [], "processes of the run outlived it"
    lost = files_before - run.files()
    assert not lost, f"files that existed before the signal are gone: {sorted(lost)}"
    return phase


def test_ctrl_c_while_the_stack_starts(root: Path) -> None:
    run = Run.start(root, "sig-up", "calm", "--duration", "10")
    run.wait_for(lambda: run.in_phase("up"), "in phase up")
    # wait until the stack's parts are being started (PostgreSQL and RabbitMQ are children), not yet probed
    run.wait_for(lambda: run.find("postgres") is not None and run.find("epmd") is not None, "starting the stack")
    assert not run.in_phase("probe"), "the stack came up before the test could interrupt it"
    files = run.signal(signal.SIGINT, whole_group=True)
    check_interrupted(run, run.wait(), files, "SIGINT", ("up",))


def test_sigterm_during_the_probe(root: Path) -> None:
    """The probe is one order end to end (~0.5 s): the signal is sent the moment "probe:" is printed; it
    lands in the probe, or at worst on its boundary with the load's setup (which still counts as probe)."""
    run = Run.start(root, "sig-probe", "calm", "--duration", "10")
    run.wait_for(lambda: run.in_phase("probe"), "in phase probe", timeout=150)
    files = run.signal(signal.SIGTERM)
    check_interrupted(run, run.wait(), files, "SIGTERM", ("probe",))


def test_sigterm_during_load_with_a_fault_active_local(root: Path) -> None:
    sched = schedule_file(root, "kitchen-blackhole", 25, """
[[fault]]
at = 1
for = 20
use = "kitchen_drop"
side = "consume"
form = "blackhole"
""")
    run = Run.start(root, "sig-load", "calm", "--duration", "25", "--schedule", str(sched))
    run.wait_for(lambda: run.in_phase("load"), "in phase load", timeout=150)

    def fault_active() -> bool:
        url = run.toxiproxy_url()
        try:
            return url is not None and bool(httpx.get(f"{url}/proxies/kitchen_consume/toxics", timeout=1).json())
        except (httpx.HTTPError, ValueError):
            return False
    run.wait_for(fault_active, "with the kitchen_consume toxic applied", timeout=60)
    files = run.signal(signal.SIGTERM)
    check_interrupted(run, run.wait(), files, "SIGTERM", ("load",))
    stamps = json.loads((run.run_dir / "timeline.json").read_text())
    assert [s["action"] for s in stamps] == ["apply", "heal"], stamps   # healed before the stack stopped
    assert (run.run_dir / "logs" / "locust.log").exists()


def test_ctrl_c_during_the_drain(root: Path) -> None:
    """The publish link is down for most of the load, so the outbox has a backlog when the drain begins."""
    sched = schedule_file(root, "publish-down", 12, """
[[fault]]
at = 1
for = 11
use = "kitchen_drop"
side = "publish"
form = "down"
""")
    run = Run.start(root, "sig-drain", "calm", "--duration", "12", "--schedule", str(sched))
    run.wait_for(lambda: run.in_phase("drain"), "in phase drain", timeout=180)
    files = run.signal(signal.SIGINT, whole_group=True)
    check_interrupted(run, run.wait(), files, "SIGINT", ("drain",))
    assert (run.run_dir / "ledger.jsonl").exists() and "ledger.jsonl" in files   # the load's ledger is kept
    assert run.summary()["audit"]["checks"], "the partial report has no audit section"


@pytest.fixture(scope="module")
def detached(root: Path):
    """A reference stack started by `dinerush up --detach`: its Toxiproxy outlives the runs against it."""
    runs = root / "detached"
    runs.mkdir()
    up = cli("up", "--detach", "--runs", str(runs))
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        state = json.loads((runs / "stack" / "state.json").read_text())
        yield runs, state["endpoints"]["toxiproxy_url"]
    finally:
        down = cli("down", "--runs", str(runs), timeout=120)
        assert down.returncode == 0, down.stdout + down.stderr


def test_sigterm_with_a_fault_active_on_an_external_target_heals_toxiproxy(root: Path, detached) -> None:
    runs, toxiproxy = detached
    sched = schedule_file(root, "two-faults", 25, """
[[fault]]
at = 1
for = 20
use = "kitchen_drop"
side = "publish"
form = "down"

[[fault]]
at = 1
for = 20
use = "gateway_timeout"
form = "latency"
delay_ms = 3000
client_timeout_s = 2.0
""")
    run = Run.start(root, "sig-external", "calm", "--duration", "25", "--schedule", str(sched),
                    "--target", "external", "--config", str(runs / "stack" / "target.toml"))

    def proxies() -> dict:
        return httpx.get(f"{toxiproxy}/proxies", timeout=2).json()
    run.wait_for(lambda: not proxies()["kitchen_publish"]["enabled"] and proxies()["payment_gateway"]["toxics"],
                 "with both faults applied", timeout=120)
    files = run.signal(signal.SIGTERM)
    check_interrupted(run, run.wait(), files, "SIGTERM", ("load",))
    state = proxies()
    assert len(state) >= 6
    assert {n: p["toxics"] for n, p in state.items() if p["toxics"]} == {}, "toxics left behind"
    assert [n for n, p in state.items() if not p["enabled"]] == [], "proxies left disabled"
