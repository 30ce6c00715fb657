"""The adapter target's config: adapter halves, diners' address, declared links; undeclared links stop the run
at start (exit 64) listing the declared ones. Through the real CLI where the exit code matters."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import UsageError
from harness.targets.adapter import AdapterConfig, AdapterTarget, check_links
from harness.profiles import profile
from harness.run import RunOptions

REPO = Path(__file__).resolve().parents[3]
NOODLEBAR = REPO / "examples" / "noodlebar"
GOOD = f"""
[adapter]
diner = "{NOODLEBAR}/adapter.py:Diner"
records = "{NOODLEBAR}/adapter.py:Records"
[adapter.settings]
db = "/tmp/nowhere.sqlite"
[http]
diners = "http://127.0.0.1:21080"
[[links]]
name = "diner_edge"
listen = "127.0.0.1:21080"
upstream = "127.0.0.1:8080"
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "target.toml"
    p.write_text(text)
    return p


def test_a_good_config_loads(tmp_path):
    cfg = AdapterConfig.load(write(tmp_path, GOOD))
    assert cfg.diners_url == "http://127.0.0.1:21080"
    assert [x.name for x in cfg.links] == ["diner_edge"]
    assert cfg.settings == {"db": "/tmp/nowhere.sqlite"} and cfg.toxiproxy_url is None


def test_the_worked_example_config_parses_and_its_adapter_paths_are_made_absolute():
    cfg = AdapterConfig.load(NOODLEBAR / "target.toml")
    assert cfg.diner == f"{NOODLEBAR / 'adapter.py'}:Diner"
    assert cfg.records == f"{NOODLEBAR / 'adapter.py'}:Records"


@pytest.mark.parametrize("change, says", [
    (('name = "diner_edge"', 'name = "front_door"'), "'front_door' is no link the faults know"),
    (('listen = "127.0.0.1:21080"', 'listen = "21080"'), "is not host:port"),
    (('upstream = "127.0.0.1:8080"\n', ''), "link #1 needs name, listen and upstream"),
    (('diners = "http://127.0.0.1:21080"', 'diners = "http://10.1.2.3:80"'), "--allow-remote"),
    (('records = ', 'recordz = '), "missing key 'records'"),
])
def test_a_bad_config_is_one_line_naming_the_fix(tmp_path, change, says):
    with pytest.raises(UsageError, match=says):
        AdapterConfig.load(write(tmp_path, GOOD.replace(*change)))


def options(config: Path, prof: str = "ci-gate", schedule: str | None = None) -> RunOptions:
    return RunOptions(profile=profile(prof).with_overrides(schedule=schedule), target="adapter", config=config)


def test_a_profile_needing_undeclared_links_is_refused_listing_the_declared(tmp_path):
    with pytest.raises(UsageError, match=r"needs link\(s\) .*payment_gateway.*declares only: diner_edge"):
        AdapterTarget(options(write(tmp_path, GOOD)))


def test_a_profile_on_declared_links_only_is_accepted(tmp_path):
    target = AdapterTarget(options(write(tmp_path, GOOD), "calm", str(NOODLEBAR / "schedule.toml")))
    assert target.diner_adapter.endswith("adapter.py:Diner")
    assert target.fault_client() is None    # no Toxiproxy until up() starts one


def test_faults_without_any_link_or_toxiproxy_are_refused(tmp_path):
    cfg = AdapterConfig.load(write(tmp_path, GOOD.split("[[links]]")[0]))
    from harness.run import load_profile_schedule
    with pytest.raises(UsageError, match="declares no \\[\\[links\\]\\]"):
        check_links(cfg, load_profile_schedule(options(cfg.path, "calm", str(NOODLEBAR / "schedule.toml"))), "calm")


def test_an_adapter_class_that_does_not_exist_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="has no class Nope"):
        AdapterTarget(options(write(tmp_path, GOOD.replace("adapter.py:Records", "adapter.py:Nope")), "calm"))


def test_the_cli_exits_64_before_any_run_folder(tmp_path, capsys):
    out = tmp_path / "runs"
    rc = main(["run", "ci-gate", "--target", "adapter", "--config", str(write(tmp_path, GOOD)), "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 64 and len(err) == 1 and "declares only: diner_edge" in err[0]
    assert not out.exists()


@pytest.mark.slow   # starts the real Toxiproxy binary (no stack)
def test_up_creates_the_declared_links_and_a_taken_listen_port_is_one_setup_error(tmp_path):
    import socket
    from types import SimpleNamespace

    from faults.client import ToxiproxyClient
    from harness.errors import SetupError
    from harness.runtime.procs import free_port

    app = socket.socket()
    app.bind(("127.0.0.1", 0))
    app.listen()
    edge = free_port()
    text = GOOD.replace("127.0.0.1:21080", f"127.0.0.1:{edge}").replace(
        "127.0.0.1:8080", f"127.0.0.1:{app.getsockname()[1]}")
    target = AdapterTarget(options(write(tmp_path, text), "calm"))
    with target.up(SimpleNamespace(run_dir=tmp_path)):
        with ToxiproxyClient(target.toxiproxy_url) as client:
            proxy = client.proxies()["diner_edge"]
        assert proxy.listen == f"127.0.0.1:{edge}" and proxy.upstream.endswith(str(app.getsockname()[1]))
        existing = tmp_path / "existing"
        existing.mkdir()
        again = AdapterTarget(options(write(existing, text + f'[toxiproxy]\nurl = "{target.toxiproxy_url}"\n'), "calm"))
        with again.up(SimpleNamespace(run_dir=existing)):
            pass
        with ToxiproxyClient(target.toxiproxy_url) as client:   # on an existing Toxiproxy the link stays
            assert client.proxies()["diner_edge"].listen == f"127.0.0.1:{edge}"
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    target = AdapterTarget(options(write(tmp_path, text.replace(f"127.0.0.1:{edge}",
                                                              f"127.0.0.1:{taken.getsockname()[1]}")), "calm"))
    with pytest.raises(SetupError, match="could not create the declared links"):
        with target.up(SimpleNamespace(run_dir=tmp_path)):
            pass
    app.close()
    taken.close()
