"""The `dinerush` command: one Typer app; command groups live in harness/commands/."""
from __future__ import annotations

import importlib
import sys

import typer

from harness.commands import MODULES
from harness.errors import DinerushError, Exit


def build_app() -> typer.Typer:
    app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                      help="Load and chaos testing for restaurant ordering systems.")
    for name in MODULES:
        importlib.import_module(name).register(app)
    return app


def main(argv: list[str] | None = None) -> int:
    app = build_app()
    try:
        rc = app(args=argv, standalone_mode=False)
    except DinerushError as err:
        print(f"dinerush: {err}", file=sys.stderr)
        return int(err.exit_code)
    except typer.Abort:
        print("dinerush: aborted", file=sys.stderr)
        return int(Exit.INCONCLUSIVE)
    except Exception as err:  # click usage errors
        import click
        if isinstance(err, click.exceptions.Exit):
            return err.exit_code
        if isinstance(err, click.ClickException):
            err.show()
            return int(Exit.USAGE)
        raise
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":
    sys.exit(main())
