"""`python -m stack.orders serve ...` (the orders API + reconciler) and `python -m stack.orders relay ...`."""
from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from stack.common.service import CliParser, add_bug_arg, parse_bugs, serve, setup_logging
from stack.orders.bugs import Bugs
from stack.orders.models import MenuError, load_menu

DEFAULT_MENU = Path(__file__).parent / "menu.json"


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def parser() -> argparse.ArgumentParser:
    p = CliParser(prog="python -m stack.orders", description="dinerush reference orders service")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the orders API (and its payment reconciler)")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--host", default="127.0.0.1", help="listen address (containers: 0.0.0.0)")
    s.add_argument("--dsn", required=True, help="PostgreSQL DSN of the orders database")
    s.add_argument("--gateway-url", required=True, help="base URL of the payment gateway")
    s.add_argument("--amqp-url", default="amqp://guest:guest@127.0.0.1:5672/",
                   help="RabbitMQ URL (used only by the publish-before-commit defect)")
    s.add_argument("--menu", type=Path, default=DEFAULT_MENU, help="menu JSON file (default: the sample menu)")
    s.add_argument("--gateway-timeout", type=_positive, default=2.0, help="seconds per gateway call (default 2.0)")
    s.add_argument("--reconcile-interval", type=_positive, default=1.0, help="seconds between reconciler ticks")
    add_bug_arg(s)
    r = sub.add_parser("relay", help="run the outbox relay (outbox → RabbitMQ kitchen.tickets)")
    r.add_argument("--dsn", required=True, help="PostgreSQL DSN of the orders database")
    r.add_argument("--amqp-url", required=True, help="RabbitMQ URL")
    add_bug_arg(r)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    names = parse_bugs(args)
    bugs = Bugs.from_names(names)
    if args.command == "serve":
        from stack.orders.app import create_app
        from stack.orders.service import Settings

        try:
            load_menu(args.menu)
        except MenuError as err:
            print(f"error: {err}", file=sys.stderr)
            return 64
        setup_logging("orders")
        settings = Settings(port=args.port, dsn=args.dsn, gateway_url=args.gateway_url, amqp_url=args.amqp_url,
                            menu_path=args.menu, gateway_timeout=args.gateway_timeout,
                            reconcile_interval=args.reconcile_interval, bugs=bugs)
        serve(create_app(settings), args.port, args.host)
        return 0
    setup_logging("relay")
    return asyncio.run(_relay(args, bugs))


async def _relay(args: argparse.Namespace, bugs: Bugs) -> int:
    from stack.orders.relay import RelaySettings, run_relay

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await run_relay(RelaySettings(dsn=args.dsn, amqp_url=args.amqp_url, bugs=bugs), stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
