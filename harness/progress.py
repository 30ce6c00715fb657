"""Live progress in the terminal: phase, diners, orders/s, p95, active faults.

On a terminal a single status line is redrawn (rich); in CI (no TTY) one plain line every few seconds.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

from rich.console import Console
from rich.live import Live
from rich.text import Text


@dataclass
class Progress:
    console: Console = field(default_factory=lambda: Console(stderr=True))
    live: Live | None = None
    every_s: float = 5.0
    quiet: bool = False
    _last_plain: float = 0.0

    @classmethod
    def for_terminal(cls, quiet: bool = False) -> "Progress":
        console = Console(stderr=True)
        live = None
        if console.is_terminal and not quiet:
            live = Live(Text(""), console=console, refresh_per_second=4, transient=True)
            live.start()
        return cls(console=console, live=live, quiet=quiet)

    def _show(self, text: str, force: bool = False) -> None:
        if self.quiet:
            return
        if self.live is not None:
            self.live.update(Text(text))
        elif force or time.monotonic() - self._last_plain >= self.every_s:
            self._last_plain = time.monotonic()
            print(text, file=sys.stderr, flush=True)

    def phase(self, name: str, what: str) -> None:
        if not self.quiet:
            self.console.print(f"[bold]{name}[/bold]: {what}", highlight=False)

    def phase_tick(self, name: str, what: str) -> None:
        self._show(f"{name} | {what}")

    def load(self, elapsed: float, total: float, p, active: list[str]) -> None:
        p95 = f"{p.p95_ms:.0f} ms" if p.p95_ms is not None else "-"
        faults = ", ".join(active) if active else "none"
        self._show(f"load {elapsed:5.0f}/{total:.0f}s | diners {p.users:3d} | {p.rps:6.1f} req/s | "
                   f"p95 {p95} | failures {p.failures} | faults: {faults}")

    def drain(self, backlog) -> None:
        self._show(f"drain | outbox {backlog.outbox_unsent} | kitchen queue {backlog.queue_messages} | "
                   f"payments pending {backlog.payments_pending}")

    def line(self, text: str) -> None:
        """Results: printed even when quiet."""
        self.console.print(text, highlight=False)

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None
