"""The `dinerush` command: one Typer app; command groups live in harness/commands/."""
from __future__ import annotations

import importlib
import sys

import typer
# typer (0.2x) vendors its own click: its usage errors are not `click.ClickException`s
from typer._click.exceptions import NoArgsIsHelpError
from typer._click.exceptions import UsageError as CommandLineError

from harness.commands import MODULES
from harness.errors import DinerushError, Exit


def build_app() -> typer.Typer:
    app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                      help="Load and chaos testing for restaurant ordering systems.")
    for name in MODULES:
        importlib.import_module(name).register(app)
    return app


def usage_line(err: CommandLineError) -> str:
    """A command-line mistake as one line: what was wrong and where to read more."""
    ctx = err.ctx
    where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    return " ".join(err.format_message().split()) + where


def main(argv: list[str] | None = None) -> int:
    app = build_app()
    try:
        rc = app(args=argv, prog_name="dinerush", standalone_mode=False)
    except DinerushError as err:
        print(f"dinerush: {err}", file=sys.stderr)
        return int(err.exit_code)
    except NoArgsIsHelpError:   # `dinerush`, `dinerush faults`: the help (already shown), as a usage answer
        return int(Exit.USAGE)
    except CommandLineError as err:    # a bad option value, an unknown option, a missing argument
        print(f"dinerush: {usage_line(err)}", file=sys.stderr)
        return int(Exit.USAGE)
    except (typer.Abort, KeyboardInterrupt):
        print("dinerush: aborted", file=sys.stderr)
        return int(Exit.INCONCLUSIVE)
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":
    sys.exit(main())
