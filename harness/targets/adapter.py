"""The adapter target: any ordering stack, started by its owner, driven through a user-written adapter.

`dinerush run PROFILE --target adapter --config target.toml`. The config names the adapter's two halves
(scenarios.adapter.DinerAdapter for the diners, harness.records.RecordsAdapter for the audit), where diners
connect, and the links: each `[[links]]` (name, listen, upstream) becomes a Toxiproxy proxy that dinerush
creates itself — on the Toxiproxy at `[toxiproxy].url`, or on one it starts in the run folder. A profile
whose faults need a link the config does not declare stops at start (exit 64) listing the declared links.
See README "Your own stack" and `dinerush init`.
"""
from __future__ import annotations

import socket
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from harness.errors import SetupError, UsageError
from harness.records import RecordsAdapter, collect
from harness.targets.common import read_config, require_loopback, since_load_began

HOW = "see README, 'Your own stack', or run `dinerush init DIR` for a commented example"


@dataclass(frozen=True)
class LinkDecl:
    """One declared link: a Toxiproxy proxy `name` listening on `listen`, forwarding to `upstream`."""

    name: str
    listen: str     # host:port the proxy listens on (your service dials this instead of the upstream)
    upstream: str   # host:port of the real service behind it


@dataclass(frozen=True)
class AdapterConfig:
    path: Path
    diner: str                       # "file.py:Class" (relative to the config) or "module:Class"
    records: str
    settings: dict                   # [adapter.settings]: handed to the records half (DSNs, files, URLs)
    diners_url: str                  # where the diners connect (a declared link's listen address, to fault it)
    toxiproxy_url: str | None        # an existing Toxiproxy; None: dinerush starts its own
    links: tuple[LinkDecl, ...]
    processes: object | None = None  # harness.runtime.commands.CommandControl: [processes.<part>] commands

    @classmethod
    def load(cls, path: Path, allow_remote: bool = False) -> "AdapterConfig":
        path = Path(path)
        raw = read_config(path, HOW)
        try:
            adapter, http = raw["adapter"], raw["http"]
            cfg = cls(path=path.resolve(), diner=cls._spec(path, str(adapter["diner"])),
                      records=cls._spec(path, str(adapter["records"])),
                      settings=dict(adapter.get("settings", {})), diners_url=str(http["diners"]).rstrip("/"),
                      toxiproxy_url=str(raw["toxiproxy"]["url"]).rstrip("/") if raw.get("toxiproxy") else None,
                      links=cls._links(path, raw.get("links", [])), processes=cls._processes(path, raw))
        except KeyError as err:
            raise UsageError(f"{path}: missing key {err.args[0]!r} (needs [adapter].diner, [adapter].records and "
                             f"[http].diners; {HOW})") from None
        if not allow_remote:
            require_loopback(path, [cfg.diners_url, *([cfg.toxiproxy_url] if cfg.toxiproxy_url else []),
                                    *(f"//{x.listen}" for x in cfg.links)])
        return cfg

    @staticmethod
    def _spec(path: Path, spec: str) -> str:
        """A "file.py:Class" relative to the config file becomes absolute (Locust runs elsewhere)."""
        where, sep, name = spec.rpartition(":")
        if sep and where.endswith(".py") and not Path(where).is_absolute():
            return f"{(path.parent / where).resolve()}:{name}"
        return spec

    @staticmethod
    def _links(path: Path, raw: object) -> tuple[LinkDecl, ...]:
        from faults.topology import LINKS_BY_NAME
        if not isinstance(raw, list):
            raise UsageError(f"{path}: links must be [[links]] tables with name, listen and upstream")
        out = []
        for i, t in enumerate(raw, 1):
            try:
                link = LinkDecl(str(t["name"]), str(t["listen"]), str(t["upstream"]))
            except (KeyError, TypeError):
                raise UsageError(f"{path}: link #{i} needs name, listen and upstream "
                                 '(e.g. name = "diner_edge", listen = "127.0.0.1:21080", '
                                 'upstream = "127.0.0.1:8080")') from None
            if link.name not in LINKS_BY_NAME:
                raise UsageError(f"{path}: link #{i} {link.name!r} is no link the faults know: name it one of "
                                 f"{', '.join(LINKS_BY_NAME)} (faults/topology.py says what each one is)")
            for addr in (link.listen, link.upstream):
                host, _, port = addr.rpartition(":")
                if not host or not port.isdigit():
                    raise UsageError(f"{path}: link {link.name}: {addr!r} is not host:port")
            out.append(link)
        names = [x.name for x in out]
        if len(set(names)) != len(names):
            raise UsageError(f"{path}: a link is declared twice: {', '.join(names)}")
        return tuple(out)

    @staticmethod
    def _processes(path: Path, raw: dict):
        from harness.runtime.commands import CommandControl
        return CommandControl.parse(path, raw.get("processes"))


def check_links(cfg: AdapterConfig, schedule, profile: str) -> None:
    """A profile whose faults need a link the target does not declare is a usage error listing the declared."""
    if schedule is None:
        return
    if not cfg.links and cfg.toxiproxy_url is None:
        raise UsageError(f"profile {profile} injects faults but {cfg.path.name} declares no [[links]] and no "
                         "[toxiproxy].url: declare the links to fault, or run --schedule none")
    declared = {x.name for x in cfg.links}
    missing = [name for name in schedule.links if name not in declared]
    if missing:
        raise UsageError(f"profile {profile} (schedule {schedule.name}) needs link(s) {', '.join(missing)}, but "
                         f"{cfg.path.name} declares only: {', '.join(sorted(declared)) or 'none'} "
                         "(add a [[links]] table, or choose another --schedule)")


def _answers(url: str, timeout: float = 3.0) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=timeout):
            return True
    except OSError:
        return False


class AdapterTarget:
    def __init__(self, options) -> None:
        if options.config is None:
            raise UsageError(f"--target adapter needs --config FILE ({HOW})")
        if options.bugs:
            raise UsageError("--bug switches defects of the local reference stack; with --target adapter, "
                             "start your stack with the defect instead")
        self.cfg = AdapterConfig.load(options.config, options.allow_remote)
        from harness.run import load_profile_schedule
        check_links(self.cfg, load_profile_schedule(options), options.profile.name)
        from scenarios.adapter import DinerAdapter, load_class
        try:
            load_class(self.cfg.diner, DinerAdapter)   # the Locust processes load it again: fail here first
            records_cls = load_class(self.cfg.records, RecordsAdapter)
        except ValueError as err:
            raise UsageError(f"{self.cfg.path}: {err}") from None
        self.records: RecordsAdapter = records_cls(self.cfg.settings)
        self.toxiproxy_url = self.cfg.toxiproxy_url
        self.ctx = None   # the session's RunContext, given to up()

    @property
    def diner_url(self) -> str:
        return self.cfg.diners_url

    @property
    def diner_adapter(self) -> str:
        """The diner half, as --dinerush-adapter for Locust."""
        return self.cfg.diner

    @property
    def databases(self):
        return None   # the records adapter reads the systems of record its own way

    @contextmanager
    def up(self, ctx) -> Iterator[object]:
        self.ctx = ctx
        with ExitStack() as stack:
            if self.cfg.links:
                stack.enter_context(self._links())
            if not _answers(self.cfg.diners_url):
                raise SetupError(f"target unreachable at {self.cfg.diners_url}: start your stack, or fix [http].diners")
            stack.callback(self.records.close)
            yield self.cfg

    @contextmanager
    def _links(self) -> Iterator[None]:
        """Create every declared link as a proxy: on our own Toxiproxy (it lives as long as the run) unless the
        config names one; there a proxy already declared the same way is kept, and the links stay after the run
        (healed: the fault runner resets every toxic), so services pointed at them keep their path."""
        from faults.client import ToxiproxyClient
        from faults.errors import ToxiproxyError
        server = None
        if self.toxiproxy_url is None:
            from harness.runtime.toxiproxy import ToxiproxyServer
            server = ToxiproxyServer(self.ctx.run_dir).start()
            self.toxiproxy_url = server.url
        try:
            try:
                with ToxiproxyClient(self.toxiproxy_url) as client:
                    have = client.proxies()
                    for link in self.cfg.links:
                        old = have.get(link.name)
                        if old is not None and (old.listen, old.upstream) == (link.listen, link.upstream):
                            continue
                        if old is not None:
                            client.delete_proxy(link.name)   # declared otherwise now: the config wins
                        client.create_proxy(link.name, link.listen, link.upstream)
            except ToxiproxyError as err:
                raise SetupError(f"could not create the declared links on {self.toxiproxy_url}: {err}") from None
            yield
        finally:
            if server is not None:
                server.stop()

    def probe(self) -> str:
        """Steady state, as far as an adapter shows it: the systems of record answer and the diners' address too."""
        n = sum(1 for _ in self.records.orders())
        return f"probe: systems of record readable ({n} order rows), diners' address {self.cfg.diners_url} answers"

    def fault_client(self):
        """The Toxiproxy holding the declared links; None without one (then the profile has no faults)."""
        if self.toxiproxy_url is None:
            return None
        from faults.client import ToxiproxyClient
        return ToxiproxyClient(self.toxiproxy_url)

    def process_control(self):
        return self.cfg.processes

    def gateway_control(self):
        return None   # the payment provider's chaos control is the reference stack's own

    def fault_proxy_restart(self):
        return None   # a wedged Toxiproxy API makes the run inconclusive

    def dead_services(self) -> list[str]:
        return []

    def process_roots(self) -> dict[str, int]:
        return {}   # your stack's processes are not ours to measure

    def queue_depth(self) -> int:
        return 0    # in flight is the records adapter's in_flight()

    def backlog(self):
        return self.records.in_flight()

    def read_final(self):
        return collect(self.records, since=since_load_began(self.ctx))

    def collect_logs(self) -> None:
        """Your stack keeps its own logs."""
