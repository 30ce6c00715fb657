"""`dinerush init DIR`: the skeleton imports as both adapter halves, its config parses, nothing is overwritten."""
from __future__ import annotations

from harness.cli import main
from harness.records import RecordsAdapter
from harness.targets.adapter import AdapterConfig
from scenarios.adapter import DinerAdapter, load_class


def test_init_writes_a_skeleton_that_imports_and_a_config_that_parses(tmp_path, capsys):
    folder = tmp_path / "mystack"
    assert main(["init", str(folder)]) == 0
    assert "wrote" in capsys.readouterr().out
    cfg = AdapterConfig.load(folder / "target.toml")
    diner = load_class(cfg.diner, DinerAdapter)
    records = load_class(cfg.records, RecordsAdapter)
    assert diner.idempotent_place is True
    assert records({}).charges() is None and records({}).tickets() is None   # optional systems: not applicable
    assert [x.name for x in cfg.links] == ["diner_edge"]


def test_init_never_overwrites(tmp_path, capsys):
    (tmp_path / "target.toml").write_text("mine")
    assert main(["init", str(tmp_path)]) == 64
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "never overwrites" in err[0]
    assert (tmp_path / "target.toml").read_text() == "mine" and not (tmp_path / "adapter.py").exists()


def test_init_into_a_file_is_one_line_exit_64(tmp_path, capsys):
    f = tmp_path / "afile"
    f.write_text("x")
    assert main(["init", str(f)]) == 64
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
