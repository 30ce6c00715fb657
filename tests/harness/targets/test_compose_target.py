"""The compose target, with the compose runtime faked at its boundary (no Docker engine here)."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from harness.runtime.compose import ComposeEndpoints
from harness.targets import make_target
from harness.targets.compose import ComposeTarget

ENDPOINTS = ComposeEndpoints("http://127.0.0.1:8474", "http://127.0.0.1:20080", "http://toxiproxy:20080",
                             "postgresql://p@127.0.0.1:25432/orders", "postgresql://p@127.0.0.1:25432/gateway",
                             "postgresql://p@127.0.0.1:25432/kitchen", "http://127.0.0.1:8089")


@dataclass
class FakeStack:
    run_dir: Path
    settings: object
    calls: list[str] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)

    def up(self):
        self.calls.append("up")
        return ENDPOINTS

    def down(self):
        self.calls.append("down")

    def health(self, service: str) -> str:
        return self.states.get(service, "healthy")


def options(**kw):
    return SimpleNamespace(**{"target": "compose", "bugs": ("kitchen-no-dedupe",), **kw})


def test_compose_is_a_registered_target() -> None:
    assert isinstance(make_target(options()), ComposeTarget)


def test_up_passes_the_bugs_and_always_brings_the_project_down(tmp_path: Path) -> None:
    made: list[FakeStack] = []
    target = ComposeTarget(options(), stack_factory=lambda d, s: made.append(FakeStack(d, s)) or made[-1])
    ctx = SimpleNamespace(run_dir=tmp_path, event=lambda *a, **k: None)
    try:
        with target.up(ctx) as endpoints:
            assert endpoints is ENDPOINTS and target.diner_url == "http://127.0.0.1:20080"
            assert made[0].settings.bugs == ("kitchen-no-dedupe",)
            assert target.databases.kitchen.endswith("/kitchen")
            made[0].states = {"kitchen": "exited (137)", "relay": "missing"}
            assert target.dead_services() == ["relay", "kitchen"]
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert made[0].calls == ["up", "down"]


def test_without_a_docker_engine_the_run_is_inconclusive_with_one_line(tmp_path: Path) -> None:
    run_dir = tmp_path / "r"
    res = subprocess.run([sys.executable, "-m", "harness.cli", "run", "calm", "--quiet", "--target", "compose",
                          "--run-dir", str(run_dir)], capture_output=True, text=True, timeout=120,
                         env={"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock", "PATH": "/usr/bin:/bin"})
    assert res.returncode == 3, res.stderr
    assert "no Docker engine" in res.stdout + res.stderr
