"""`dinerush init DIR`: a commented adapter skeleton and target config for a new stack (never overwrites)."""
from __future__ import annotations

from importlib import resources
from pathlib import Path
import typer

from harness.commands import options as o
from harness.errors import UsageError

FILES = {"adapter.py": "adapter.py.j2", "target.toml": "target.toml.j2"}


def write_skeleton(folder: Path) -> list[Path]:
    """Write adapter.py and target.toml into `folder` (created); an existing one is a UsageError, nothing written."""
    folder = Path(folder)
    taken = [folder / name for name in FILES if (folder / name).exists()]
    if taken:
        raise UsageError(f"{taken[0]} exists: choose an empty folder (dinerush init never overwrites)")
    folder.mkdir(parents=True, exist_ok=True)
    templates = resources.files("harness") / "templates" / "init"
    out = []
    for name, template in FILES.items():
        path = folder / name
        path.write_text((templates / template).read_text(encoding="utf-8"), encoding="utf-8")
        out.append(path)
    return out


def init_cmd(folder: o.InitFolder) -> None:
    """Write a commented adapter skeleton (adapter.py) and target config (target.toml) for your own stack."""
    for path in write_skeleton(folder):
        typer.echo(f"wrote {path}")
    typer.echo(f"next: fill in the TODOs, start your stack, then "
               f"dinerush run calm --target adapter --config {folder / 'target.toml'}")


def register(app: typer.Typer) -> None:
    app.command("init")(init_cmd)
