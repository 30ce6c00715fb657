"""ComposeStack with the docker SDK faked at its boundary (client.containers.list/get, container.attrs, logs, kill,
pause, unpause, start, exec_run) and the `docker compose` CLI faked as a runner. No Docker engine runs here."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness.errors import Exit, SetupError
from harness.runtime.compose import (
    COMPOSE_FILE, NUMBER_LABEL, PROJECT_LABEL, SERVICE_LABEL, STACK_SERVICES, ComposeSettings, ComposeStack,
    LoadSettings, QueueDepth, compose_proxies,
)
from faults.topology import LINKS


# --- the fake SDK --------------------------------------------------------------------------------------------
@dataclass
class FakeContainer:
    """The parts of docker.models.containers.Container the runtime uses."""

    project: str
    service: str
    number: int = 1
    status: str = "running"
    health: str | None = "healthy"          # None: the image has no healthcheck
    exit_code: int = 0
    log: bytes = b""
    ports: dict = field(default_factory=dict)
    health_script: list[str] = field(default_factory=list)   # statuses returned by successive reload()s
    exec_output: tuple[int, bytes] = (0, b"")
    calls: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.project}-{self.service}-{self.number}-id"

    @property
    def name(self) -> str:
        return f"{self.project}-{self.service}-{self.number}"

    @property
    def labels(self) -> dict[str, str]:
        return {PROJECT_LABEL: self.project, SERVICE_LABEL: self.service, NUMBER_LABEL: str(self.number)}

    @property
    def attrs(self) -> dict:
        state = {"Status": self.status, "ExitCode": self.exit_code}
        if self.health is not None:
            state["Health"] = {"Status": self.health}
        return {"Id": self.id, "State": state, "Config": {"Labels": self.labels},
                "NetworkSettings": {"Ports": self.ports}}

    def reload(self) -> None:
        if self.health_script:
            self.health = self.health_script.pop(0)

    def logs(self, stdout: bool = True, stderr: bool = True, timestamps: bool = False) -> bytes:
        assert stdout and stderr
        return self.log

    def kill(self, signal: str = "SIGKILL") -> None:
        self.calls.append(f"kill {signal}")
        self.status, self.exit_code = "exited", 137

    def pause(self) -> None:
        self.calls.append("pause")
        self.status = "paused"

    def unpause(self) -> None:
        self.calls.append("unpause")
        self.status = "running"

    def start(self) -> None:
        self.calls.append("start")
        self.status = "running"

    def wait(self, timeout: float | None = None) -> dict:
        return {"StatusCode": self.exit_code}

    def exec_run(self, cmd: list[str]) -> tuple[int, bytes]:
        self.calls.append(" ".join(cmd))
        return self.exec_output


@dataclass
class FakeContainers:
    items: list[FakeContainer]

    def list(self, all: bool = False, filters: dict | None = None) -> list[FakeContainer]:
        wanted = dict(label.split("=", 1) for label in (filters or {}).get("label", []))
        return [c for c in self.items if (all or c.status == "running")
                and all_labels_match(c.labels, wanted)]

    def get(self, container_id: str) -> FakeContainer:
        return next(c for c in self.items if c.id == container_id)


def all_labels_match(labels: dict[str, str], wanted: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in wanted.items())


@dataclass
class FakeClient:
    containers: FakeContainers
    pings: int = 0

    def ping(self) -> bool:
        self.pings += 1
        return True


@dataclass
class FakeClock:
    now: float = 0.0
    slept: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


@dataclass
class FakeRunner:
    """Records `docker compose` command lines; answers with the given exit code and stderr."""

    returncode: int = 0
    stderr: str = ""
    calls: list[tuple[list[str], dict]] = field(default_factory=list)

    def __call__(self, argv, env, timeout) -> subprocess.CompletedProcess:
        if list(argv) == ["docker", "compose", "version", "--short"]:   # find_compose: the plugin is v2
            return subprocess.CompletedProcess(argv, 0, "2.40.3\n", "")
        self.calls.append((list(argv), dict(env)))
        return subprocess.CompletedProcess(argv, self.returncode, "", self.stderr)


def stack_containers(project: str = "dinerush") -> list[FakeContainer]:
    found = [FakeContainer(project, s, log=f"{s} started\n".encode()) for s in STACK_SERVICES]
    by = {c.service: c for c in found}
    by["toxiproxy"].ports = {"8474/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18474"}],
                             "20080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}]}
    by["postgres"].ports = {"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": "15432"}]}
    return found


def make_stack(tmp_path: Path, items: list[FakeContainer], runner: FakeRunner | None = None,
               settings: ComposeSettings | None = None) -> tuple[ComposeStack, FakeClient, FakeClock]:
    client, clock = FakeClient(FakeContainers(items)), FakeClock()
    stack = ComposeStack(tmp_path, settings or ComposeSettings(), client_factory=lambda: client,
                         runner=runner or FakeRunner(), sleep=clock.sleep, clock=clock)
    return stack, client, clock


def by_service(items: list[FakeContainer], service: str) -> FakeContainer:
    return next(c for c in items if c.service == service)


# --- engine and CLI ------------------------------------------------------------------------------------------
def test_no_engine_is_one_line_naming_the_fix(tmp_path, monkeypatch):
    """The real SDK pointed at a socket nobody serves."""
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    stack = ComposeStack(tmp_path)
    with pytest.raises(SetupError) as err:
        stack.up()
    assert str(err.value) == f"no Docker engine at unix://{tmp_path}/none.sock: start Docker or use --target local"
    assert err.value.exit_code == Exit.INCONCLUSIVE


def test_engine_that_fails_ping_is_no_engine(tmp_path, monkeypatch):
    class Dead:
        def ping(self):
            raise ConnectionError("refused")

    monkeypatch.delenv("DOCKER_HOST", raising=False)
    stack = ComposeStack(tmp_path, client_factory=Dead)
    with pytest.raises(SetupError, match=r"^no Docker engine at unix:///var/run/docker.sock: start Docker"):
        stack.containers()


def test_up_runs_compose_with_the_run_settings_and_returns_endpoints(tmp_path):
    items, runner = stack_containers("rush1"), FakeRunner()
    settings = ComposeSettings(project="rush1", bugs=("no-idempotency", "kitchen-auto-ack"))
    stack, client, _ = make_stack(tmp_path, items, runner, settings)
    ends = stack.up()
    argv, env = runner.calls[0]
    assert argv[:6] == ["docker", "compose", "-f", str(COMPOSE_FILE), "-p", "rush1"]
    assert argv[6:10] == ["up", "-d", "--wait", "--build"] and set(argv[10:]) == set(STACK_SERVICES)
    assert env["DINERUSH_BUGS"] == "no-idempotency,kitchen-auto-ack"
    assert env["DINERUSH_OUT_DIR"] == str(tmp_path / "compose-out") and (tmp_path / "compose-out").is_dir()
    assert ends.toxiproxy_api == "http://127.0.0.1:18474"
    assert ends.diner_edge_url == "http://127.0.0.1:18080"
    assert ends.diner_edge_in_network == "http://toxiproxy:20080"
    assert ends.orders_dsn == "postgresql://dinerush:dinerush@127.0.0.1:15432/orders"
    assert ends.gateway_dsn.endswith("@127.0.0.1:15432/gateway") and ends.kitchen_dsn.endswith(":15432/kitchen")
    assert client.pings == 1


def test_missing_compose_plugin_is_named(tmp_path):
    runner = FakeRunner(returncode=1, stderr="docker: unknown command: docker compose\n\nRun 'docker --help'")
    stack, _, _ = make_stack(tmp_path, stack_containers(), runner)
    with pytest.raises(SetupError, match="^Docker Compose v2 not found: install the docker compose plugin"):
        stack.up()


def test_failed_up_names_the_unhealthy_service_and_keeps_logs(tmp_path):
    items = stack_containers()
    by_service(items, "kitchen").health = "unhealthy"
    by_service(items, "kitchen").log = b"kitchen: cannot reach amqp\n"
    runner = FakeRunner(returncode=1, stderr="dependency failed to start: container dinerush-kitchen-1 is unhealthy")
    stack, _, _ = make_stack(tmp_path, items, runner)
    with pytest.raises(SetupError) as err:
        stack.up()
    assert str(err.value).startswith("compose services not healthy: kitchen (unhealthy): see ")
    assert (tmp_path / "logs" / "kitchen.log").read_bytes() == b"kitchen: cannot reach amqp\n"


def test_down_collects_logs_then_removes_volumes(tmp_path):
    runner = FakeRunner()
    stack, _, _ = make_stack(tmp_path, stack_containers(), runner)
    stack.down()
    assert runner.calls[-1][0][6:] == ["--profile", "load", "down", "-v", "--remove-orphans"]
    assert {p.name for p in (tmp_path / "logs").iterdir()} == {f"{s}.log" for s in STACK_SERVICES}


def test_start_load_scales_workers(tmp_path):
    runner = FakeRunner()
    stack, _, _ = make_stack(tmp_path, stack_containers(), runner)
    stack.start_load(LoadSettings(workers=3, users=50, run_time_s=90, seed=7, shape="lunch_rush"))
    argv, env = runner.calls[-1]
    assert argv[6:] == ["--profile", "load", "up", "-d", "--scale", "worker=3", "master", "worker"]
    assert (env["DINERUSH_WORKERS"], env["DINERUSH_USERS"], env["DINERUSH_RUN_TIME"], env["DINERUSH_SEED"],
            env["DINERUSH_SHAPE"]) == ("3", "50", "90s", "7", "lunch_rush")


def test_wait_load_returns_the_masters_exit_code(tmp_path):
    items = stack_containers() + [FakeContainer("dinerush", "master", status="exited", exit_code=0)]
    stack, _, _ = make_stack(tmp_path, items)
    assert stack.wait_load(timeout=120) == 0


# --- health --------------------------------------------------------------------------------------------------
def test_wait_healthy_polls_until_every_service_is_healthy(tmp_path):
    items = stack_containers()
    by_service(items, "rabbitmq").health_script = ["starting", "starting", "healthy"]
    stack, _, clock = make_stack(tmp_path, items)
    stack.wait_healthy(timeout=30, poll=1.0)
    assert clock.slept == [1.0, 1.0]


def test_wait_healthy_timeout_names_the_unhealthy_service(tmp_path):
    items = stack_containers()
    by_service(items, "relay").health = "starting"
    by_service(items, "gateway").health = "unhealthy"
    stack, _, clock = make_stack(tmp_path, items)
    with pytest.raises(SetupError) as err:
        stack.wait_healthy(timeout=10, poll=1.0)
    message = str(err.value)
    assert message.startswith("compose services not healthy after 10s: relay (starting), gateway (unhealthy): see ")
    assert "\n" not in message
    assert clock.now >= 10 and (tmp_path / "logs" / "relay.log").exists()


def test_an_exited_container_fails_at_once_with_its_exit_code(tmp_path):
    items = stack_containers()
    orders = by_service(items, "orders")
    orders.status, orders.exit_code = "exited", 64
    stack, _, clock = make_stack(tmp_path, items)
    with pytest.raises(SetupError, match=r"^compose services stopped: orders \(exited \(64\)\)"):
        stack.wait_healthy(timeout=60)
    assert clock.slept == []


def test_a_missing_service_fails_at_once(tmp_path):
    items = [c for c in stack_containers() if c.service != "kitchen"]
    stack, _, _ = make_stack(tmp_path, items)
    with pytest.raises(SetupError, match=r"kitchen \(missing\)"):
        stack.wait_healthy(timeout=60)


def test_a_container_without_healthcheck_counts_when_running(tmp_path):
    items = stack_containers()
    by_service(items, "relay").health = None
    stack, _, _ = make_stack(tmp_path, items)
    stack.wait_healthy(timeout=1)


def test_other_projects_are_not_ours(tmp_path):
    items = stack_containers("dinerush") + [FakeContainer("other", "orders", health="unhealthy")]
    stack, _, _ = make_stack(tmp_path, items)
    stack.wait_healthy(timeout=1)
    assert all(c.labels[PROJECT_LABEL] == "dinerush" for c in stack.containers())


# --- logs ----------------------------------------------------------------------------------------------------
def test_logs_go_to_one_file_per_service_and_per_scaled_worker(tmp_path):
    items = stack_containers() + [FakeContainer("dinerush", "master", log=b"master\n")] + [
        FakeContainer("dinerush", "worker", number=n, log=f"worker {n}\n".encode()) for n in (2, 1)]
    stack, _, _ = make_stack(tmp_path, items)
    written = stack.collect_logs()
    names = sorted(p.name for p in written)
    assert names == sorted([f"{s}.log" for s in STACK_SERVICES] + ["master.log", "worker-1.log", "worker-2.log"])
    assert (tmp_path / "logs" / "worker-2.log").read_bytes() == b"worker 2\n"
    assert (tmp_path / "logs" / "postgres.log").read_bytes() == b"postgres started\n"


# --- faults --------------------------------------------------------------------------------------------------
def test_kill_then_heal_starts_the_container_again(tmp_path):
    items = stack_containers()
    stack, _, _ = make_stack(tmp_path, items)
    assert stack.container_kill("kitchen") == ["dinerush-kitchen-1"]
    kitchen = by_service(items, "kitchen")
    assert kitchen.status == "exited" and kitchen.calls == ["kill SIGKILL"]
    stack.heal()
    assert kitchen.status == "running" and kitchen.calls == ["kill SIGKILL", "start"]
    stack.heal()
    assert kitchen.calls == ["kill SIGKILL", "start"]   # healing twice does nothing more


def test_kill_hits_every_replica_of_a_scaled_service(tmp_path):
    workers = [FakeContainer("dinerush", "worker", number=n) for n in (1, 2, 3)]
    stack, _, _ = make_stack(tmp_path, stack_containers() + workers)
    assert stack.container_kill("worker", signal="SIGTERM") == [f"dinerush-worker-{n}" for n in (1, 2, 3)]
    assert all(w.calls == ["kill SIGTERM"] for w in workers)


def test_pause_for_seconds_unpauses_after_that_long(tmp_path):
    items = stack_containers()
    stack, _, clock = make_stack(tmp_path, items)
    stack.container_pause("rabbitmq", seconds=4.5)
    rabbit = by_service(items, "rabbitmq")
    assert rabbit.calls == ["pause", "unpause"] and rabbit.status == "running"
    assert clock.slept == [4.5]


def test_pause_without_seconds_holds_until_unpause_or_heal(tmp_path):
    items = stack_containers()
    stack, _, _ = make_stack(tmp_path, items)
    stack.container_pause("postgres")
    stack.container_pause("gateway")
    assert by_service(items, "postgres").status == "paused"
    stack.container_unpause("postgres")
    assert by_service(items, "postgres").calls == ["pause", "unpause"]
    stack.heal()
    assert by_service(items, "gateway").calls == ["pause", "unpause"]
    assert by_service(items, "postgres").calls == ["pause", "unpause"]


def test_fault_on_a_stopped_or_unknown_service_is_one_line(tmp_path):
    items = stack_containers()
    by_service(items, "relay").status = "exited"
    stack, _, _ = make_stack(tmp_path, items)
    with pytest.raises(SetupError, match="^no running container for compose service 'relay': services are "):
        stack.container_pause("relay")
    with pytest.raises(SetupError, match="'kitchn'"):
        stack.container_kill("kitchn")


# --- drain and config ----------------------------------------------------------------------------------------
def test_queue_depth_asks_rabbitmqctl_in_the_container(tmp_path):
    items = stack_containers()
    rabbit = by_service(items, "rabbitmq")
    rabbit.exec_output = (0, b"other.queue\t5\t0\nkitchen.tickets\t3\t2\n")
    stack, _, _ = make_stack(tmp_path, items)
    assert stack.queue_depth() == QueueDepth(ready=3, unacked=2)
    assert rabbit.calls[-1].startswith("rabbitmqctl list_queues")
    rabbit.exec_output = (0, b"")
    assert stack.queue_depth().total == 0
    rabbit.exec_output = (69, b"Error: unable to perform an operation on node")
    with pytest.raises(SetupError, match="rabbitmqctl list_queues failed"):
        stack.queue_depth()


def test_compose_proxies_are_the_topology_links():
    assert [p.name for p in compose_proxies()] == [link.name for link in LINKS]


def test_down_without_engine_is_the_same_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/none.sock")
    runner = FakeRunner()
    with pytest.raises(SetupError, match=r"^no Docker engine at unix://.*none\.sock: start Docker or use --target local$"):
        ComposeStack(tmp_path, runner=runner).down()
    assert runner.calls == []
