"""The stack on Docker Compose (compose/docker-compose.yml): up/down through the Compose v2 CLI (the SDK has no
compose), everything else through the `docker` Python SDK: containers found by their compose labels, health
waiting, logs into the run folder, container kill / pause / start for the process faults, the broker's queue depth."""
from __future__ import annotations

import os
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import SetupError
from harness.runtime.compose_cli import Runner, compose_call, find_compose, run_cli
from harness.runtime.compose_host import edge_port, write_override
from harness.runtime.compose_settings import (  # noqa: F401 - re-exported: one import for the runtime's users
    COMPOSE_DIR, COMPOSE_FILE, DB_PASSWORD, DB_USER, EDGE_LISTEN_PORT, KITCHEN_QUEUE, LOAD_SERVICES,
    STACK_SERVICES, TOXIPROXY_CONFIG, ComposeEndpoints, ComposeSettings, LoadSettings, ProxySpec, compose_proxies,
)
from harness.runtime.procs import LOOPBACK
from harness.runtime.rabbitmq import QueueDepth  # one record for the local and compose brokers

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
NUMBER_LABEL = "com.docker.compose.container-number"


def docker_from_env(timeout: float = 120) -> Any:
    """`docker.from_env()`, imported late so that importing this module never needs an engine."""
    import docker

    return docker.from_env(timeout=timeout)


def docker_host() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def no_engine() -> SetupError:
    return SetupError(f"no Docker engine at {docker_host()}: start Docker or use --target local")


@dataclass
class ComposeStack:
    """One compose project. `up()` → endpoints; faults via container_kill/pause; `heal()` undoes them;
    `down()` collects logs into run_dir/logs and removes everything (volumes too)."""

    run_dir: Path
    settings: ComposeSettings = field(default_factory=ComposeSettings)
    compose_file: Path = COMPOSE_FILE
    client_factory: Callable[[], Any] = docker_from_env
    runner: Runner = run_cli
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _client: Any = field(default=None, init=False, repr=False)
    _compose: list[str] | None = field(default=None, init=False, repr=False)   # the compose v2 command line
    _killed: set[str] = field(default_factory=set, init=False, repr=False)   # container ids
    _paused: set[str] = field(default_factory=set, init=False, repr=False)

    # --- engine and CLI -------------------------------------------------------------------------------
    @property
    def out_dir(self) -> Path:
        return self.run_dir / "compose-out"

    def client(self) -> Any:
        """The SDK client; no engine answering is the one-line SetupError."""
        if self._client is None:
            try:
                client = self.client_factory()
                client.ping()
            except Exception as err:  # DockerException, requests' ConnectionError, PermissionError...
                if isinstance(err, SetupError):
                    raise
                raise no_engine() from None
            self._client = client
        return self._client

    def files(self) -> list[str]:
        """`-f` arguments: the users' file, plus the host-network override in the tests' mode (written once)."""
        files = ["-f", str(self.compose_file)]
        net = self.settings.host_network
        if net is not None:
            path = self.run_dir / "compose" / "docker-compose.host.yml"
            if not path.exists():
                write_override(net, self.settings.project, path.parent, self.compose_file)
            files += ["-f", str(path)]
        return files

    def compose(self, *args: str, extra_env: Mapping[str, str] | None = None,
                timeout: float = 600.0) -> subprocess.CompletedProcess:
        """`docker compose -f FILE [-f OVERRIDE] -p PROJECT ARGS...`; a failure is a one-line SetupError."""
        if self._compose is None:
            self._compose = find_compose(self.runner)
        env = {**os.environ, **self.settings.env(self.out_dir), **(extra_env or {})}
        return compose_call([*self._compose, *self.files(), "-p", self.settings.project], args, env, timeout,
                            self.runner, self.run_dir / "logs")

    # --- bring-up and tear-down ---------------------------------------------------------------------------
    def up(self, timeout: float = 300.0) -> ComposeEndpoints:
        """Build (the tests' mode: images are local already), start and wait for the stack (no load yet);
        returns where to reach it."""
        self.client()  # no engine → the one-line error before any CLI noise
        self.out_dir.mkdir(parents=True, exist_ok=True)
        build = () if self.settings.host_network else ("--build",)
        try:
            self.compose("up", "-d", "--wait", *build, *STACK_SERVICES, timeout=timeout)
        except SetupError as err:
            bad = self._not_healthy(STACK_SERVICES)
            self.collect_logs()
            if bad:
                raise SetupError(f"compose services not healthy: {', '.join(bad)}: "
                                 f"see {self.run_dir / 'logs'}") from None
            raise err from None
        self.wait_healthy(STACK_SERVICES, timeout=min(timeout, 60.0))
        return self.endpoints()

    def down(self, timeout: float = 120.0) -> None:
        """Collect logs, then remove the project's containers, network and volumes."""
        self.client()
        try:
            self.collect_logs()
        finally:
            self.compose("--profile", "load", "down", "-v", "--remove-orphans", timeout=timeout)

    def start_load(self, load: LoadSettings, timeout: float = 300.0) -> None:
        """Start the Locust master and `load.workers` workers; the master runs and quits on its own."""
        self.client()
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.compose("--profile", "load", "up", "-d", "--scale", f"worker={load.workers}", *LOAD_SERVICES,
                     extra_env=load.env(), timeout=timeout)

    def wait_load(self, timeout: float) -> int:
        """Wait for the master container to exit; its exit code (Locust: 0 ok, 1 failures, 2 error)."""
        master = self._one("master")
        try:
            result = master.wait(timeout=timeout)
        except Exception as err:  # requests' ReadTimeout when the run overruns
            raise SetupError(f"the Locust master did not finish in {timeout:g}s ({type(err).__name__}): "
                             f"see {self.run_dir / 'logs' / 'master.log'}") from None
        return int(result.get("StatusCode", -1))

    # --- containers and health --------------------------------------------------------------------------
    def containers(self, service: str | None = None) -> list[Any]:
        """This project's containers (running or not), optionally of one service, by compose labels."""
        labels = [f"{PROJECT_LABEL}={self.settings.project}"]
        if service is not None:
            labels.append(f"{SERVICE_LABEL}={service}")
        found = self.client().containers.list(all=True, filters={"label": labels})
        return sorted(found, key=lambda c: (_service(c), _number(c)))

    def _one(self, service: str) -> Any:
        found = self.containers(service)
        if not found:
            raise SetupError(f"no container for compose service {service!r} in project "
                             f"{self.settings.project!r}: run 'dinerush up --target compose'")
        return found[0]

    def health(self, service: str) -> str:
        """'healthy' | 'starting' | 'unhealthy' | 'exited (N)' | 'missing' (worst of the service's containers)."""
        found = self.containers(service)
        if not found:
            return "missing"
        states = [_health(c) for c in found]
        for worst in ("exited", "unhealthy", "starting"):
            for s in states:
                if s.startswith(worst):
                    return s
        return "healthy"

    def _not_healthy(self, services: Sequence[str]) -> list[str]:
        return [f"{s} ({h})" for s in services if (h := self.health(s)) != "healthy"]

    def wait_healthy(self, services: Sequence[str] = STACK_SERVICES, timeout: float = 120.0,
                     poll: float = 1.0) -> None:
        """Until every service's containers are healthy; an exited one fails at once, a timeout names the rest."""
        deadline = self.clock() + timeout
        while True:
            bad = self._not_healthy(services)
            if not bad:
                return
            dead = [b for b in bad if "(exited" in b or "(missing" in b]
            if dead or self.clock() >= deadline:
                self.collect_logs()
                why = "stopped" if dead else f"not healthy after {timeout:g}s"
                raise SetupError(f"compose services {why}: {', '.join(dead or bad)}: see {self.run_dir / 'logs'}")
            self.sleep(poll)

    def published_port(self, service: str, container_port: int) -> int:
        """The host port (127.0.0.1) a service's container port is published on, read from the engine."""
        ports = (self._one(service).attrs.get("NetworkSettings") or {}).get("Ports") or {}
        for binding in ports.get(f"{container_port}/tcp") or ():
            if binding.get("HostIp") in (LOOPBACK, "") and binding.get("HostPort"):
                return int(binding["HostPort"])
        raise SetupError(f"compose service {service!r} does not publish port {container_port}: "
                         f"check compose/docker-compose.yml")

    def endpoints(self) -> ComposeEndpoints:
        net = self.settings.host_network
        if net is not None:
            return self._host_endpoints()
        pg = self.published_port("postgres", 5432)

        def dsn(db: str) -> str:
            return f"postgresql://{DB_USER}:{DB_PASSWORD}@{LOOPBACK}:{pg}/{db}"

        return ComposeEndpoints(
            toxiproxy_api=f"http://{LOOPBACK}:{self.published_port('toxiproxy', 8474)}",
            diner_edge_url=f"http://{LOOPBACK}:{self.published_port('toxiproxy', EDGE_LISTEN_PORT)}",
            diner_edge_in_network=f"http://toxiproxy:{EDGE_LISTEN_PORT}",
            orders_dsn=dsn("orders"), gateway_dsn=dsn("gateway"), kitchen_dsn=dsn("kitchen"),
            locust_ui=f"http://{LOOPBACK}:{self.settings.locust_port}",
        )

    def _host_endpoints(self) -> ComposeEndpoints:
        """The tests' mode: every service listens on 127.0.0.1 at its mapped port (no published ports)."""
        ports = self.settings.host_network.ports
        pg, api, web = ports.of("postgres", 5432), ports.of("toxiproxy", 8474), ports.of("master", 8089)
        edge = f"http://{LOOPBACK}:{edge_port(self.settings.host_network)}"

        def dsn(db: str) -> str:
            return f"postgresql://{DB_USER}:{DB_PASSWORD}@{LOOPBACK}:{pg}/{db}"

        return ComposeEndpoints(toxiproxy_api=f"http://{LOOPBACK}:{api}", diner_edge_url=edge,
                                diner_edge_in_network=edge, orders_dsn=dsn("orders"), gateway_dsn=dsn("gateway"),
                                kitchen_dsn=dsn("kitchen"), locust_ui=f"http://{LOOPBACK}:{web}")

    # --- logs ---------------------------------------------------------------------------------------------
    def collect_logs(self) -> list[Path]:
        """Every container's stdout+stderr into run_dir/logs/<service>.log (<service>-<n>.log when scaled)."""
        logs = self.run_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        found = self.containers()
        per_service = Counter(_service(c) for c in found)
        written = []
        for c in found:
            service = _service(c)
            name = service if per_service[service] == 1 else f"{service}-{_number(c)}"
            path = logs / f"{name}.log"
            path.write_bytes(c.logs(stdout=True, stderr=True, timestamps=True))
            written.append(path)
        return written

    # --- extra faults ------------------------------------------------------------------------------------
    def container_kill(self, service: str, signal: str = "SIGKILL") -> list[str]:
        """Kill every container of `service` (a crash, not a shutdown); `heal()` starts them again."""
        names = []
        for c in self._running(service):
            c.kill(signal=signal)
            self._killed.add(c.id)
            names.append(c.name)
        return names

    def container_pause(self, service: str, seconds: float | None = None) -> list[str]:
        """Freeze `service` (SIGSTOP of the cgroup: sockets stay open, nothing answers). With `seconds`, unpause
        after that long (always, in a finally); without, it stays paused until container_unpause or heal()."""
        names = []
        for c in self._running(service):
            c.pause()
            self._paused.add(c.id)
            names.append(c.name)
        if seconds is not None:
            try:
                self.sleep(seconds)
            finally:
                self.container_unpause(service)
        return names

    def container_start(self, service: str) -> list[str]:
        """Start again the containers of `service` that container_kill stopped (a process fault's heal)."""
        names = []
        for c in self.containers(service):
            if c.id in self._killed:
                c.start()
                self._killed.discard(c.id)
                names.append(c.name)
        if not names:
            raise SetupError(f"no killed container of compose service {service!r} to start")
        return names

    def container_unpause(self, service: str) -> None:
        for c in self.containers(service):
            if c.id in self._paused:
                c.unpause()
                self._paused.discard(c.id)

    def heal(self) -> None:
        """Undo every kill and pause this stack made (unpause, then start killed containers again)."""
        for c in self.containers():
            if c.id in self._paused:
                c.unpause()
                self._paused.discard(c.id)
            if c.id in self._killed:
                c.start()
                self._killed.discard(c.id)

    def _running(self, service: str) -> list[Any]:
        found = [c for c in self.containers(service) if _state(c).get("Status") == "running"]
        if not found:
            raise SetupError(f"no running container for compose service {service!r}: "
                             f"services are {', '.join(STACK_SERVICES + LOAD_SERVICES)}")
        return found

    # --- drain --------------------------------------------------------------------------------------------
    def queue_depth(self, queue: str = KITCHEN_QUEUE) -> QueueDepth:
        """Ready and unacked messages of a queue, asked of the broker inside its container (rabbitmqctl)."""
        rabbit = self._one("rabbitmq")
        code, out = rabbit.exec_run(["rabbitmqctl", "list_queues", "-q", "--no-table-headers",
                                     "name", "messages_ready", "messages_unacknowledged"])
        text = out.decode(errors="replace") if isinstance(out, bytes) else str(out)
        if code != 0:
            raise SetupError(f"rabbitmqctl list_queues failed in the rabbitmq container: {text.strip()[:200]}")
        for line in text.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == queue:
                return QueueDepth(int(parts[1]), int(parts[2]))
        return QueueDepth(0, 0)


def _state(container: Any) -> dict:
    return container.attrs.get("State") or {}


def _health(container: Any) -> str:
    container.reload()
    state = _state(container)
    status = state.get("Status", "unknown")
    if status in ("exited", "dead"):
        return f"exited ({state.get('ExitCode', '?')})"
    if status != "running":
        return "starting"
    health = (state.get("Health") or {}).get("Status")
    return "healthy" if health in (None, "healthy") else health


def _service(container: Any) -> str:
    return container.labels.get(SERVICE_LABEL, container.name)


def _number(container: Any) -> int:
    try:
        return int(container.labels.get(NUMBER_LABEL, "1"))
    except ValueError:
        return 1
