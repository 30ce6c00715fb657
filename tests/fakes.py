"""In-memory stand-ins for the run's moving parts, so the run phases get fast tests without processes:
a virtual clock, a Toxiproxy, a Locust child and a Target (the harness.targets.Target protocol)."""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from faults.topology import LINKS
from harness.audit.history import Backlog, FinalReads
from harness.loadgen import LoadSpec, LoadStats

CALM = Backlog(0, 0, 0)


@dataclass
class FakeClock:
    """Stands in for the `time` module of the code under test: sleeping moves virtual time on at once."""

    now: float = 1_000.0
    epoch: float = 1_700_000_000.0
    slept: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.epoch + self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class FakeToxiproxy:
    """Toxiproxy's state in memory (every link of faults/topology.py as a proxy); what a fault does shows here."""

    proxies_state: dict[str, dict] = field(default_factory=lambda: {
        link.name: {"enabled": True, "toxics": {}} for link in LINKS})
    log: list[tuple] = field(default_factory=list)

    def add_toxic(self, proxy: str, spec):
        self.proxies_state[proxy]["toxics"][spec.resolved_name] = spec
        self.log.append(("add", proxy, spec.resolved_name))
        return spec

    def remove_toxic(self, proxy: str, name: str) -> None:
        del self.proxies_state[proxy]["toxics"][name]
        self.log.append(("remove", proxy, name))

    def set_enabled(self, name: str, enabled: bool) -> None:
        self.proxies_state[name]["enabled"] = enabled
        self.log.append(("enabled", name, enabled))

    def reset(self) -> None:
        for p in self.proxies_state.values():
            p["enabled"], p["toxics"] = True, {}
        self.log.append(("reset",))

    def proxies(self) -> dict:
        return dict(self.proxies_state)

    @property
    def clean(self) -> bool:
        return all(p["enabled"] and not p["toxics"] for p in self.proxies_state.values())

    @property
    def ever_faulted(self) -> bool:
        return any(entry[0] in ("add", "enabled") for entry in self.log)


@dataclass
class FakeProc:
    returncode: int | None = None


@dataclass
class FakeChild:
    proc: FakeProc
    pid: int = 4242


@dataclass
class LocustScript:
    """How a fake Locust behaves: it boots, runs, then exits with `exit_code`, having written a ledger or not."""

    boot_s: float = 1.0              # no diners reported before this
    runs_for: float = 5.0            # seconds of virtual time until it exits (math.inf: never on its own)
    exit_code: int = 0
    writes_ledger: bool = True
    users: int = 4


class FakeLocust:
    """Stands in for harness.loadgen.LocustRun (same constructor and methods), driven by a LocustScript."""

    def __init__(self, spec: LoadSpec, run_dir: Path, clock: FakeClock, script: LocustScript) -> None:
        self.spec, self.run_dir, self.clock, self.script = spec, Path(run_dir), clock, script
        self.child: FakeChild | None = None
        self.started_at: float | None = None
        self.stopped = False

    @property
    def ledger_path(self) -> Path:
        return self.run_dir / "ledger.jsonl"

    def start(self) -> "FakeLocust":
        self.started_at = self.clock.monotonic()
        self.child = FakeChild(FakeProc())
        if self.script.writes_ledger:
            self.ledger_path.write_text("")
        return self

    def _age(self) -> float:
        assert self.started_at is not None
        return self.clock.monotonic() - self.started_at

    def alive(self) -> bool:
        if self.child is None or self.stopped:
            return False
        if self._age() >= self.script.runs_for:
            self.child.proc.returncode = self.script.exit_code
            return False
        return True

    def progress(self) -> LoadStats:
        return LoadStats(users=self.script.users if self._age() >= self.script.boot_s else 0)

    def stop(self) -> None:
        self.stopped = True
        if self.child is not None and self.child.proc.returncode is None:
            self.child.proc.returncode = 0 if math.isinf(self.script.runs_for) else self.script.exit_code


def locust_factory(clock: FakeClock, script: LocustScript, made: list[FakeLocust]) -> Callable[..., FakeLocust]:
    """A LocustRun replacement for monkeypatching: every instance it makes is appended to `made`."""
    def make(spec: LoadSpec, run_dir: Path) -> FakeLocust:
        made.append(FakeLocust(spec, run_dir, clock, script))
        return made[-1]
    return make


@dataclass
class FakeTarget:
    """A stack held in memory that implements the Target protocol: scripted backlog polls and service deaths."""

    backlogs: list[Backlog] = field(default_factory=lambda: [CALM])    # one per poll; the last repeats
    deaths: dict[int, list[str]] = field(default_factory=dict)       # poll of dead_services() → names dead from then
    reads: FinalReads = field(default_factory=lambda: FinalReads((), (), ()))
    toxiproxy: FakeToxiproxy = field(default_factory=FakeToxiproxy)
    diner_url: str = "http://127.0.0.1:9"
    diner_adapter: str = ""
    ctx: object | None = None
    up_count: int = 0
    down_count: int = 0
    backlog_polls: int = 0
    death_polls: int = 0
    logs_collected: bool = False
    databases: object | None = None    # harness.reads.Databases: none, the reads are scripted
    queue_messages: int = 0

    @contextmanager
    def up(self, ctx) -> Iterator[object]:
        self.ctx = ctx
        self.up_count += 1
        try:
            yield {"orders_api_url": self.diner_url}
        finally:
            self.down_count += 1

    @property
    def is_up(self) -> bool:
        return self.up_count > self.down_count

    def probe(self) -> str:
        return "probe: ok (fake)"

    def fault_client(self) -> FakeToxiproxy:
        return self.toxiproxy

    def process_control(self):
        return None

    def gateway_control(self):
        return None

    def fault_proxy_restart(self):
        return None

    def dead_services(self) -> list[str]:
        self.death_polls += 1
        dead: list[str] = []
        for poll, names in sorted(self.deaths.items()):
            if self.death_polls >= poll:
                dead += names
        return dead

    def process_roots(self) -> dict[str, int]:
        return {}

    def queue_depth(self) -> int:
        return self.queue_messages

    def backlog(self) -> Backlog:
        self.backlog_polls += 1
        return self.backlogs[min(self.backlog_polls, len(self.backlogs)) - 1]

    def read_final(self) -> FinalReads:
        return self.reads

    def collect_logs(self) -> None:
        self.logs_collected = True
