"""Every `dinerush` option declared once: its type, its range and its help, shared by the commands taking it.

A bad value fails while the command line is parsed — before any run folder or process exists — and
harness.cli prints it as one line naming the option and what it accepts (exit 64).
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Annotated, Callable, Iterable, Optional

import typer

from harness.capacity.search import Peak as PeakRate
from harness.capacity.under import Under as HeldFault
from harness.errors import UsageError

WORKERS_PER_CPU = 4   # Locust worker processes beyond this only fight each other (and the stack) for the CPUs
SEED_MAX = 2**31 - 1  # the range the locustfile draws a fresh seed from


def max_workers() -> int:
    return WORKERS_PER_CPU * (os.cpu_count() or 1)


# ---- parsers: each turns one command-line string into a value, or fails naming what the option accepts ------

def whole(lo: int, hi: int | None = None) -> Callable[[str], int]:
    """A whole number in [lo, hi]."""
    accepts = f"a whole number from {lo} to {hi}" if hi is not None else f"a whole number >= {lo}"

    def parse(text: str) -> int:
        try:
            value = int(str(text).strip())
        except ValueError:
            raise typer.BadParameter(f"{text!r} is not {accepts}") from None
        if value < lo or (hi is not None and value > hi):
            raise typer.BadParameter(f"{value} is out of range: give {accepts}")
        return value
    parse.metavar = f"{lo}..{hi}" if hi is not None else f"{lo}.."   # type: ignore[attr-defined]
    return parse


def number(lo: float, hi: float, *, lo_open: bool = False, unit: str = "") -> Callable[[str], float]:
    """A finite number in [lo, hi] (or (lo, hi] when lo_open)."""
    low = f"more than {lo:g}" if lo_open else f"from {lo:g}"
    accepts = f"a number {low} to {hi:g}{unit}"

    def parse(text: str) -> float:
        try:
            value = float(str(text).strip())
        except ValueError:
            raise typer.BadParameter(f"{text!r} is not {accepts}") from None
        if not math.isfinite(value) or value < lo or (lo_open and value == lo) or value > hi:
            raise typer.BadParameter(f"{text} is out of range: give {accepts}")
        return value
    parse.metavar = f"{'>' if lo_open else ''}{lo:g}..{hi:g}"   # type: ignore[attr-defined]
    return parse


def one_of(names: Callable[[], Iterable[str]], what: str) -> Callable[[str], str]:
    """A name from a registry (read when the option is parsed, so the CLI imports no registry up front)."""
    def parse(text: str) -> str:
        known = list(names())
        if text not in known:
            raise typer.BadParameter(f"unknown {what} {text!r}: choose one of {', '.join(known)}")
        return text
    return parse


def via(option: str, parse_text: Callable[[str], object]) -> Callable[[str], object]:
    """A domain parser that raises UsageError (`--OPTION 'text': why`), as an option parser saying why."""
    def parse(text: str) -> object:
        try:
            return parse_text(text)
        except UsageError as err:
            raise typer.BadParameter(str(err).removeprefix(f"{option} {text!r}: ")) from None
    return parse


def existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise typer.BadParameter(f"{text} is not an existing file")
    return path


def existing_folder(text: str) -> Path:
    path = Path(text)
    if not path.is_dir():
        raise typer.BadParameter(f"{text} is not an existing folder")
    return path


def folder(text: str) -> Path:
    """A folder to write into: new, or an existing folder (never a file)."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise typer.BadParameter(f"{text} is a file: give a folder")
    return path


def _profiles() -> Iterable[str]:
    from harness.profiles import PROFILES
    return PROFILES


def _targets() -> Iterable[str]:
    from harness.targets import TARGETS
    return TARGETS


def _faults() -> Iterable[str]:
    from faults.registry import FAULTS
    return FAULTS


def bug_name(text: str) -> str:
    """A seeded defect of the reference stack (stack/bugs.py is its catalogue)."""
    from stack.bugs import REGISTRY, UnknownBug, validate
    try:
        validate([text])
    except UnknownBug:
        raise typer.BadParameter(f"unknown defect {text!r}: choose one of {', '.join(sorted(REGISTRY))}") from None
    return text


def diner_mix(text: str) -> str:
    """`KIND=WEIGHT,...` over the registered diner kinds; kept as text (it is handed to Locust as is)."""
    from scenarios.options import ScenarioUsageError, parse_mix
    try:
        parse_mix(text)
    except ScenarioUsageError as err:
        raise typer.BadParameter(str(err).removeprefix("--dinerush-mix: ")) from None
    return text


def _under(text: str):
    from harness.capacity.under import parse_under
    return parse_under(text)


def _peak(text: str):
    from harness.capacity.search import parse_peak
    return parse_peak(text)


def slo_config(place_p95_ms: float | None, pay_p95_ms: float | None, error_rate: float | None,
               kitchen_p95_ms: float | None = None):
    """The --slo-* options given (the others keep their defaults)."""
    from harness.report.slo import SLOConfig

    given = {"place_p95_ms": place_p95_ms, "pay_p95_ms": pay_p95_ms, "max_error_rate": error_rate,
             "kitchen_p95_ms": kitchen_p95_ms}
    return SLOConfig.from_mapping({k: v for k, v in given.items() if v is not None}, "--slo options")


def unique(values: list[str]) -> tuple[str, ...]:
    """Repeated values once each, in order."""
    return tuple(dict.fromkeys(values))


def ranged(parse: Callable[[str], object], help: str, *decls: str) -> typer.models.OptionInfo:
    """An option whose value is a number in a range: the range shows in --help as its metavar."""
    return typer.Option(*decls, parser=parse, metavar=parse.metavar, help=help)  # type: ignore[attr-defined]


# ---- the options -----------------------------------------------------------------------------------------

ProfileArg = Annotated[str, typer.Argument(parser=one_of(_profiles, "profile"), help=" | ".join(_profiles()))]
Schedule = Annotated[Optional[str], typer.Option(
    help="a built-in schedule name or a TOML file (overrides the profile's)")]
Duration = Annotated[Optional[float], ranged(number(1, 86400, unit=" s"), "load seconds (1 to 86400)")]
Users = Annotated[Optional[int], ranged(whole(1, 100_000), "diners (the peak, for a shaped load)")]
Seed = Annotated[int, ranged(whole(0, SEED_MAX),
                             "makes the diners' intents and the random nemesis reproducible (0 to 2^31-1)")]
MinPaid = Annotated[Optional[int], ranged(whole(0, 1_000_000),
                                         "evidence floor: intents placed and paid end to end, else exit 3 "
                                         "(default: the profile's)")]
Bugs = Annotated[list[str], typer.Option("--bug", parser=bug_name, metavar="DEFECT",
                                         help="switch on a seeded defect of the reference stack (repeatable)")]
Target = Annotated[str, typer.Option(parser=one_of(_targets, "target"),
                                     help="local | external | compose (needs a Docker engine) | adapter (your stack, --config)")]
Config = Annotated[Optional[Path], typer.Option(parser=existing_file, help="target config TOML (external, adapter)")]
Workers = Annotated[int, ranged(whole(0, max_workers()), f"local Locust worker processes (0: one process; "
                                                         f"at most {WORKERS_PER_CPU} per CPU)")]
Out = Annotated[Path, typer.Option(parser=folder, help="folder for run folders")]
RunDir = Annotated[Optional[Path], typer.Option(parser=folder, help="exact run folder (must be new or empty)")]
AllowRemote = Annotated[bool, typer.Option(help="allow a target outside 127.0.0.1")]
Quiet = Annotated[bool, typer.Option(help="no live progress")]
SloPlaceMs = Annotated[Optional[float], ranged(number(0, 600_000, lo_open=True, unit=" ms"),
                                               "SLO: p95 place-order latency, ms")]
SloPayMs = Annotated[Optional[float], ranged(number(0, 600_000, lo_open=True, unit=" ms"), "SLO: p95 pay latency, ms")]
SloKitchenMs = Annotated[Optional[float], ranged(number(0, 600_000, lo_open=True, unit=" ms"),
                                                 "SLO: p95 paid → on the KDS outside fault windows, ms")]
SloErrorRate = Annotated[Optional[float], ranged(number(0, 1), "SLO: max share of failed requests, 0 to 1 (0.02 = 2%)")]
RunFolder = Annotated[Path, typer.Argument(parser=existing_folder,
                                           help="a run folder with ledger.jsonl and final_reads.json")]
InitFolder = Annotated[Path, typer.Argument(parser=folder, help="folder for adapter.py and target.toml")]   # init

# capacity
Under = Annotated[Optional[HeldFault], typer.Option(
    parser=via("--under", _under), metavar="FAULT[:VALUE|:k=v,...]",
    help="hold one fault for the whole search, e.g. weak_network:3g, gateway_slow:latency_ms=800")]
Peak = Annotated[Optional[PeakRate], typer.Option(
    parser=via("--peak", _peak), metavar="RATE",
    help="expected peak: orders/min (1200 or 1200/min), 20/s, 3000/h, or diners (150diners); reports the headroom")]
StartUsers = Annotated[int, ranged(whole(1, 100_000), "diners of the first step")]
StepUsers = Annotated[int, ranged(whole(1, 100_000), "diners added per step")]
MaxSteps = Annotated[int, ranged(whole(1, 100), "steps of the ladder (a bisection adds up to --bisect-rounds)")]
BisectRounds = Annotated[int, ranged(whole(0, 20), "steps between the highest pass and the lowest fail above it")]
ConfirmRounds = Annotated[int, ranged(whole(0, 10), "times the knee is measured again, longer, to confirm it; a "
                                                    "failed confirmation moves the knee down (0: no confirmation)")]
ConfirmSeconds = Annotated[float, ranged(number(5, 1800, unit=" s"),
                                         "seconds a confirmation holds the knee's load (longer than a step: a short "
                                         "window is at the mercy of the machine's own speed)")]
StepSeconds = Annotated[float, ranged(number(5, 600, unit=" s"),
                                      "seconds each step holds (the first fifth, ≤ 5 s, is warm-up)")]
Warmup = Annotated[Optional[float], ranged(number(0, 600, unit=" s"), "seconds discarded at the start of each step")]
Budget = Annotated[float, ranged(number(0, 86400, lo_open=True, unit=" s"),
                                 "no new step starts after this many seconds of search")]
Settle = Annotated[float, ranged(number(0, 600, unit=" s"),
                                 "between steps, wait at most this long for the outbox, kitchen queue and pending "
                                 "payments to empty, so a step does not inherit the last one's backlog (0: no wait)")]
Mix = Annotated[str, typer.Option(parser=diner_mix, help="diner kind weights, KIND=WEIGHT,...")]

# the local stack alone
Menu = Annotated[Optional[Path], typer.Option("--menu", parser=existing_file,
                                              help="menu JSON (default: a small built-in menu)")]
Runs = Annotated[Path, typer.Option(
    "--runs", parser=folder, help="folder for run folders and the detached stack's state (runs/stack/state.json)")]
StackRunDir = Annotated[Optional[Path], typer.Option("--run-dir", parser=folder,
                                                     help="run folder (default: runs/stack-<time>/)")]

# faults
FaultName = Annotated[str, typer.Argument(parser=one_of(_faults, "fault"),
                                          help="a fault name (see `dinerush faults list`)")]
