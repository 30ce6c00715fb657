"""Which Compose runs the project: the `docker compose` v2 plugin if it answers, else a standalone docker-compose
v2; a v1 or none at all is one line naming the fix."""
from __future__ import annotations

import subprocess

import pytest

from harness.errors import SetupError
from harness.runtime import compose_cli
from harness.runtime.compose_cli import NO_COMPOSE, compose_call, find_compose


def runner_answering(versions: dict[str, str]):
    def run(argv, env, timeout):
        key = " ".join(argv[:-2])
        if key not in versions:
            raise FileNotFoundError(argv[0])
        return subprocess.CompletedProcess(argv, 0 if versions[key] else 1, versions[key], "")
    return run


def test_the_plugin_wins_when_it_is_v2(monkeypatch):
    monkeypatch.delenv("DINERUSH_COMPOSE", raising=False)
    assert find_compose(runner_answering({"docker compose": "2.29.1\n"})) == ["docker", "compose"]


def test_a_standalone_v2_is_used_without_the_plugin(monkeypatch, tmp_path):
    monkeypatch.delenv("DINERUSH_COMPOSE", raising=False)
    binary = tmp_path / "docker-compose"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.setattr(compose_cli.shutil, "which", lambda name: str(binary))
    run = runner_answering({"docker compose": "", str(binary): "v2.40.3\n"})
    assert find_compose(run) == [str(binary)]


def test_compose_v1_alone_is_not_enough(monkeypatch, tmp_path):
    monkeypatch.delenv("DINERUSH_COMPOSE", raising=False)
    binary = tmp_path / "docker-compose"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    monkeypatch.setattr(compose_cli.shutil, "which", lambda name: str(binary))
    monkeypatch.setattr(compose_cli.sys, "executable", str(tmp_path / "none" / "python"))
    with pytest.raises(SetupError) as err:
        find_compose(runner_answering({str(binary): "1.29.2\n"}))
    assert str(err.value) == NO_COMPOSE


def test_a_failed_call_is_compose_s_last_line():
    def failing(argv, env, timeout):
        return subprocess.CompletedProcess(argv, 1, "", "pulling...\nError: image not found\n\n")
    with pytest.raises(SetupError, match="^'compose up' failed: Error: image not found$"):
        compose_call(["docker", "compose", "-p", "x"], ["up", "-d"], {}, 5.0, failing)
