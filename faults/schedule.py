"""Fault timelines in TOML, validated with line-precise errors, plus a seeded random nemesis.

Format (times in seconds from the start of load; faults may overlap):

    name = "my-gate"          # optional
    description = "..."       # optional
    duration = 75             # optional: seconds of load; no fault may end after it

    [[fault]]
    at = 5                    # apply at 5 s
    for = 10                  # heal at 15 s
    use = "weak_network"      # a name from faults.registry
    preset = "3g"             # the fault's params, inline

A random nemesis is a `[random]` table instead of `[[fault]]` entries (see `RandomSpec`); loading it
generates an ordinary Schedule, the same for the same seed.

tomllib reports line numbers only for syntax errors, so value errors are located by scanning the
text: the n-th `[[fault]]` header is entry n, and a key's line is its `key =` line inside that entry.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Mapping

from faults.errors import FaultError, ParamError, Problem, ScheduleError
from faults.nemesis import RandomSpec, fit, random_schedule
from faults.registry import FAULTS
from faults.timeline import Entry, Schedule, overlaps

__all__ = ["Entry", "Schedule", "RandomSpec", "random_schedule", "load_schedule", "parse_schedule",
           "check_schedule", "builtin_names"]

ENTRY_KEYS = ("at", "for", "use")
TOP_KEYS = ("name", "description", "duration", "fault", "random")
BUILTIN_DIR = "schedules"


# --- locating lines ---------------------------------------------------------------------------------
_HEADER = re.compile(r"^\s*\[")
_FAULT_HEADER = re.compile(r"^\s*\[\[\s*(\"fault\"|'fault'|fault)\s*\]\]")
_SYNTAX_LINE = re.compile(r"at line (\d+)")


@dataclass(frozen=True)
class _Lines:
    """Where things are in the text: entry headers and key lines per section."""

    lines: tuple[str, ...]

    def fault_headers(self) -> list[int]:
        return [i + 1 for i, line in enumerate(self.lines) if _FAULT_HEADER.match(line)]

    def section_end(self, start: int) -> int:
        for i in range(start, len(self.lines)):  # start is a 1-based header line → index start is the next line
            if _HEADER.match(self.lines[i]):
                return i
        return len(self.lines)

    def key_line(self, key: str, start: int, end: int) -> int:
        pat = re.compile(rf"^\s*(\"{re.escape(key)}\"|'{re.escape(key)}'|{re.escape(key)})\s*=")
        for i in range(start, end):
            if pat.match(self.lines[i]):
                return i + 1
        return 0

    def entry_key(self, header: int, key: str | None) -> int:
        if not header:
            return 0
        if key is None:
            return header
        return self.key_line(key, header, self.section_end(header)) or header

    def top_key(self, key: str) -> int:
        first = next((i for i, line in enumerate(self.lines) if _HEADER.match(line)), len(self.lines))
        return self.key_line(key, 0, first)

    def table_key(self, table: str, key: str) -> int:
        pat = re.compile(rf"^\s*\[\s*{re.escape(table)}\s*\]")
        for i, line in enumerate(self.lines):
            if pat.match(line):
                return self.key_line(key, i + 1, self.section_end(i + 1)) or i + 1
        return self.top_key(table)


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _fault_names() -> str:
    return ", ".join(FAULTS)


def parse_entry(index: int, raw: Mapping[str, object], where: "_Where") -> Entry | None:
    """One `[[fault]]` table → Entry; every problem is recorded in `where` (None if any)."""
    before = len(where.problems)
    at, dur, use = raw.get("at"), raw.get("for"), raw.get("use")
    for key in ENTRY_KEYS:
        if key not in raw:
            where.add(None, f"fault #{index + 1} has no '{key}' "
                      + {"at": "(seconds from load start)", "for": "(seconds it lasts)",
                         "use": f"(one of: {_fault_names()})"}[key])
    if "at" in raw and (not _is_number(at) or at < 0):
        where.add("at", f"'at' must be a number of seconds >= 0, not {at!r}")
    if "for" in raw and (not _is_number(dur) or dur <= 0):
        where.add("for", f"'for' must be a number of seconds > 0, not {dur!r}")
    params_raw = {k: v for k, v in raw.items() if k not in ENTRY_KEYS}
    params: object = None
    if "use" in raw:
        if not isinstance(use, str) or use not in FAULTS:
            where.add("use", f"unknown fault {use!r}; faults: {_fault_names()}")
        else:
            fault = FAULTS[use]
            known = {p.name for p in fault.params}
            for k in params_raw:
                if k not in known:
                    where.add(k, f"{use} has no param '{k}'; its params: {', '.join(sorted(known)) or 'none'}")
            good = {k: v for k, v in params_raw.items() if k in known}
            try:  # the known params are checked even when unknown ones were found
                params = fault.parse(good)
            except ParamError as err:
                key = next((k for k in good if re.search(rf"\b{k}\b", str(err))), None)
                where.add(key, str(err))
    if len(where.problems) > before:
        return None
    return Entry(index=index, at=float(at), for_s=float(dur), use=str(use), params=params, line=where.header)


@dataclass
class _Where:
    """Collects problems for one file, resolving a key to its line in the current section."""

    path: str
    lines: _Lines
    header: int = 0
    problems: list[Problem] = field(default_factory=list)

    def add(self, key: str | None, message: str, line: int | None = None) -> None:
        if line is None:
            line = self.lines.entry_key(self.header, key)
        self.problems.append(Problem(self.path, line, message))


def parse_schedule(text: str, path: str = "<schedule>", name: str | None = None) -> Schedule:
    """TOML text → Schedule; every mistake is collected and raised together as ScheduleError."""
    where = _Where(path, _Lines(tuple(text.splitlines())))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = _SYNTAX_LINE.search(str(err))
        raise ScheduleError([Problem(path, int(m.group(1)) if m else 0, f"not valid TOML: {err}")]) from None
    for key in data:
        if key not in TOP_KEYS:
            where.add(None, f"unknown top-level key '{key}'; allowed: {', '.join(TOP_KEYS)}", where.lines.top_key(key))
    title = data.get("name", name or Path(path).stem)
    if not isinstance(title, str) or not title:
        where.add(None, f"'name' must be a non-empty string, not {title!r}", where.lines.top_key("name"))
        title = Path(path).stem
    description = data.get("description", "")
    if not isinstance(description, str):
        where.add(None, "'description' must be a string", where.lines.top_key("description"))
        description = ""
    duration = data.get("duration")
    if duration is not None and (not _is_number(duration) or duration <= 0):
        where.add(None, f"'duration' must be a number of seconds > 0, not {duration!r}", where.lines.top_key("duration"))
        duration = None

    if "random" in data:
        if "fault" in data:
            where.add(None, "a schedule has either [[fault]] entries or a [random] table, not both",
                      where.lines.table_key("random", "random"))
        spec = _random_spec(data["random"], where)
        if where.problems:
            raise ScheduleError(where.problems)
        return random_schedule(spec, name=str(title), source=path)

    faults = data.get("fault", [])
    if not isinstance(faults, list) or not all(isinstance(f, dict) for f in faults):
        where.add(None, "'fault' must be a list of [[fault]] tables", where.lines.top_key("fault"))
        faults = []
    headers = where.lines.fault_headers()
    entries: list[Entry] = []
    for i, raw in enumerate(faults):
        where.header = headers[i] if i < len(headers) else 0
        entry = parse_entry(i, raw, where)
        at, dur = raw.get("at"), raw.get("for")
        if duration is not None and _is_number(at) and _is_number(dur) and at >= 0 and dur > 0 and at + dur > duration:
            where.add("for", f"fault #{i + 1} ({raw.get('use')}) ends at {at + dur:g} s, after the schedule's "
                      f"duration {duration:g} s; shorten 'for' or raise 'duration'")
        if entry is not None:
            entries.append(entry)
    where.header = 0
    _check_parts(entries, where)
    if not faults and not where.problems:
        where.add(None, "no faults: add [[fault]] tables (at, for, use, params) or a [random] table")
    if where.problems:
        raise ScheduleError(where.problems)
    return Schedule(name=str(title), entries=tuple(entries), duration=None if duration is None else float(duration),
                    description=description, source=path)


def _check_parts(entries: list[Entry], where: "_Where") -> None:
    """Two faults on one part (a process, the payment provider) at once would undo each other's heal."""
    for i, a in enumerate(entries):
        a_parts = set(a.fault.plan(a.params).parts)
        for b in entries[i + 1:]:
            shared = a_parts & set(b.fault.plan(b.params).parts)
            if shared and overlaps(a.at, a.end, b.at, b.end):
                where.add(None, f"fault #{b.index + 1} ({b.use}) overlaps fault #{a.index + 1} ({a.use}) on "
                          f"{', '.join(sorted(shared))}; one part takes one fault at a time: move 'at'", b.line)


# --- the random nemesis's table ([random]; the drawing is faults.nemesis) -------------------------
def _random_spec(raw: object, where: _Where) -> RandomSpec:
    if not isinstance(raw, dict):
        where.add(None, "[random] must be a table", where.lines.top_key("random"))
        return RandomSpec()
    defaults = RandomSpec()
    values: dict[str, object] = {}
    for key, value in raw.items():
        line = where.lines.table_key("random", key)
        if key == "mix":
            mix = value
            if isinstance(mix, list):
                mix = {str(n): 1.0 for n in mix}
            if not isinstance(mix, dict) or not mix:
                where.add(None, "'mix' must be a list of fault names or a table name = weight", line)
                continue
            for n, w in mix.items():
                if n not in FAULTS:
                    where.add(None, f"unknown fault {n!r} in mix; faults: {_fault_names()}", line)
                elif not _is_number(w) or w < 0:
                    where.add(None, f"weight of {n} must be a number >= 0, not {w!r}", line)
            if not where.problems and sum(float(w) for w in mix.values()) <= 0:
                where.add(None, "'mix' weights must not all be 0", line)
            values["mix"] = tuple((str(n), float(w)) for n, w in mix.items())
        elif key == "seed":
            if not isinstance(value, int) or isinstance(value, bool):
                where.add(None, f"'seed' must be an integer, not {value!r}", line)
            values["seed"] = value
        elif hasattr(defaults, key):
            if not _is_number(value) or value < 0:
                where.add(None, f"'{key}' must be a number >= 0, not {value!r}", line)
            values[key] = value
        else:
            where.add(None, f"[random] has no key '{key}'; keys: {', '.join(RandomSpec.__dataclass_fields__)}", line)
    if where.problems:
        return defaults
    spec = RandomSpec(**values)  # type: ignore[arg-type]
    line = where.lines.table_key("random", "random")
    if spec.min_for <= 0 or spec.max_for < spec.min_for:
        where.add(None, f"need 0 < min_for <= max_for, got {spec.min_for:g} and {spec.max_for:g}", line)
    if spec.quiet_start + spec.max_for + spec.quiet_end > spec.duration:
        where.add(None, f"duration {spec.duration:g} s leaves no room: quiet_start + max_for + quiet_end = "
                  f"{spec.quiet_start + spec.max_for + spec.quiet_end:g} s", line)
    return spec


# --- loading ------------------------------------------------------------------------------------------
def builtin_names() -> list[str]:
    root = resources.files("faults").joinpath(BUILTIN_DIR)
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def load_schedule(ref: str | Path, seed: int | None = None, duration: float | None = None) -> Schedule:
    """A schedule from a TOML file path or a built-in name (`ci-gate`, `lunch-rush`, `random`,
    `random:SEED`). For a random schedule, `seed` overrides its seed and `duration` fits it to that many
    seconds of load (faults.nemesis.fit); a seed for a fixed timeline is an error. Raises ScheduleError/FaultError."""
    text, path, name = _read(ref)
    if isinstance(ref, str) and ":" in ref and not Path(ref).exists():
        base, _, s = ref.partition(":")
        if not s.isdigit():
            raise FaultError(f"bad schedule {ref!r}: use random:SEED with an integer seed")
        seed = int(s) if seed is None else seed
    schedule = parse_schedule(text, path, name)
    if schedule.seed is None:
        if seed is not None:
            raise FaultError(f"schedule {schedule.name} is not random; a seed applies only to [random] schedules")
        return schedule
    if seed is None and duration is None:
        return schedule
    spec = _random_spec(tomllib.loads(text)["random"], _Where(path, _Lines(())))
    spec = RandomSpec(**{**spec.__dict__, "seed": spec.seed if seed is None else seed})
    if duration is not None:
        spec = fit(spec, duration)
    return random_schedule(spec, name=schedule.name, source=path)


def _read(ref: str | Path) -> tuple[str, str, str | None]:
    """(text, source, built-in name or None). A bare built-in name wins over a file or folder of that name in the
    working directory (say ./ci-gate for the file); a folder is never a schedule."""
    name = str(ref).partition(":")[0]
    if name in builtin_names() and "/" not in str(ref):
        res = resources.files("faults").joinpath(BUILTIN_DIR, name + ".toml")
        return res.read_text(), f"builtin:{name}", name
    p = Path(ref)
    if p.is_dir():
        raise FaultError(f"schedule {p} is a folder; give a .toml file or a built-in: {', '.join(builtin_names())}")
    if p.exists():
        try:
            return p.read_text(), str(p), None
        except (OSError, UnicodeDecodeError) as err:
            raise FaultError(f"cannot read schedule {p}: {err}") from None
    if str(ref).endswith(".toml") or "/" in str(ref):
        raise FaultError(f"no schedule file {ref}; give an existing .toml path or a built-in: {', '.join(builtin_names())}")
    raise FaultError(f"unknown schedule {str(ref)!r}; built-ins: {', '.join(builtin_names())} (or a .toml path)")


def check_schedule(ref: str | Path) -> list[Problem]:
    """Every problem of a schedule (empty when valid); unreadable or unknown refs are one problem."""
    try:
        load_schedule(ref)
    except ScheduleError as err:
        return err.problems
    except FaultError as err:
        return [Problem(str(ref), 0, str(err))]
    return []
