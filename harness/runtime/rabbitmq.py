"""A private RabbitMQ node in the run folder: own node name, AMQP/epmd/distribution ports, data, logs, cookie.

We start our own `epmd -port P` as a child (foreground, so PDEATHSIG and stop-by-pid reach it) before the
node, so the node never spawns a daemonised epmd that would outlive the run. No plugins (faster boot).
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import SetupError
from harness.runtime.procs import LOOPBACK, Child, free_port
from harness.runtime.sysuser import check_reachable, chown_tree, run_as_user

SYSTEM_USER = "rabbitmq"
_SERVER_CANDIDATES = ("/usr/lib/rabbitmq/bin/rabbitmq-server",)  # the real script; /usr/sbin's wrapper su's
_ERL_CALL_CANDIDATES = ("/usr/lib/erlang/bin/erl_call",)
_FIX = "run 'make setup' (or 'apt-get install -y rabbitmq-server')"


def _find(name: str, candidates: tuple[str, ...]) -> Path:
    for c in candidates:
        if os.access(c, os.X_OK):
            return Path(c)
    found = shutil.which(name)
    if found:
        return Path(found)
    raise SetupError(f"RabbitMQ {name} not found: {_FIX}")


def _app_deps(app_dir: Path) -> list[str]:
    app_files = list((app_dir / "ebin").glob("*.app"))
    if not app_files:
        return []
    m = re.search(r"\{applications\s*,\s*\[([^\]]*)\]", app_files[0].read_text(errors="replace"))
    return [a.strip() for a in m.group(1).split(",") if a.strip()] if m else []


def trimmed_plugins(server: Path, into: Path) -> Path | None:
    """A plugins folder holding only `rabbit` and what it needs (symlinks into the installed one).

    Booting scans the code path for every module it loads; with the 60-odd optional plugins off the path
    the node starts in about half the time. None when the layout is not the one we know (then boot stock).
    """
    stock = server.resolve().parent.parent / "plugins"
    by_name = {d.name.rsplit("-", 1)[0]: d for d in stock.glob("*-*") if d.is_dir()}
    if "rabbit" not in by_name:
        return None
    into.mkdir(parents=True, exist_ok=True)
    todo, seen = ["rabbit", "rabbitmq_prelaunch"], set()
    while todo:
        name = todo.pop()
        if name in seen or name not in by_name:  # not in plugins: an OTP application
            continue
        seen.add(name)
        link = into / by_name[name].name
        if not link.is_symlink():
            link.symlink_to(by_name[name])
        todo.extend(_app_deps(by_name[name]))
    return into


@dataclass(frozen=True)
class QueueDepth:
    ready: int
    unacked: int

    @property
    def total(self) -> int:
        return self.ready + self.unacked


@dataclass(frozen=True)
class RabbitControl:
    """How to ask a running node about its queues (plain data: goes into runs/stack/state.json)."""

    node: str
    dist_port: int
    cookie_file: str

    def queue_depth(self, name: str, vhost: str = "/", timeout: float = 10.0) -> QueueDepth | None:
        """Ready and unacked messages of a queue (None if it does not exist), asked over Erlang distribution
        with `erl_call` (a small C client: tens of ms, where rabbitmqctl boots a VM for about a second)."""
        erl_call = _find("erl_call", _ERL_CALL_CANDIDATES)
        expr = (
            f'case rabbit_amqqueue:lookup(rabbit_misc:r(<<"{vhost}">>, queue, <<"{name}">>)) of '
            '{ok, Q} -> rabbit_amqqueue:info(Q, [messages_ready, messages_unacknowledged]); '
            '_ -> missing end.\n'
        )
        try:
            out = subprocess.run(
                [str(erl_call), "-address", f"{LOOPBACK}:{self.dist_port}", "-r",
                 "-timeout", str(max(1, int(timeout))), "-e"],
                input=expr, capture_output=True, text=True, timeout=timeout + 2,
                env={**os.environ, "HOME": str(Path(self.cookie_file).parent)},  # erl_call reads ~/.erlang.cookie
            )
        except subprocess.TimeoutExpired:
            raise SetupError(f"RabbitMQ node {self.node} did not answer a queue query in {timeout:.0f}s") from None
        text = out.stdout.strip()
        if out.returncode != 0:
            raise SetupError(f"queue query to RabbitMQ node {self.node} failed: {(text + ' ' + out.stderr).strip()}")
        if re.fullmatch(r"\{ok,\s*missing\}", text):
            return None
        found = dict(re.findall(r"\{(messages_ready|messages_unacknowledged),\s*(\d+)\}", text))
        if len(found) != 2:
            raise SetupError(f"unexpected answer from RabbitMQ node {self.node}: {text!r}")
        return QueueDepth(ready=int(found["messages_ready"]), unacked=int(found["messages_unacknowledged"]))


@dataclass
class PrivateRabbit:
    """One private node under `run_dir/rabbitmq`; guest/guest over AMQP on a free loopback port."""

    run_dir: Path
    amqp_port: int = 0
    epmd_port: int = 0
    dist_port: int = 0
    node: str = ""
    cookie: str = field(default="", repr=False)
    epmd: Child | None = field(default=None, repr=False)
    child: Child | None = field(default=None, repr=False)

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@{LOOPBACK}:{self.amqp_port}/"

    @property
    def home(self) -> Path:
        return self.run_dir / "rabbitmq"

    def _env(self) -> dict[str, str]:
        home = self.home
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update({
            "HOME": str(home),
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": LOOPBACK,
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_EPMD_ADDRESS": LOOPBACK,
            "RABBITMQ_CONF_ENV_FILE": str(home / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(home / "rabbitmq.conf"),  # absent: no /etc config, no cuttlefish pass
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(home / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(home / "enabled_plugins"),
            "RABBITMQ_PLUGINS_EXPAND_DIR": str(home / "plugins-expand"),
            "RABBITMQ_MNESIA_BASE": str(home / "mnesia"),
            "RABBITMQ_LOG_BASE": str(home / "log"),
            "RABBITMQ_LOGS": "-",  # to stdout, i.e. run_dir/logs/rabbitmq.log
            "RABBITMQ_PID_FILE": str(home / "rabbitmq.pid"),
            "RABBITMQ_SCHEDULER_BUSY_WAIT_THRESHOLD": "none",  # no spinning schedulers on a 2-core box
            # ALLOW_INPUT makes the script `exec erl` instead of forking it under a signal-relaying shell, so
            # the VM itself is our child (PDEATHSIG, stop by pid); -noinput and +B i restore what it drops.
            "RABBITMQ_ALLOW_INPUT": "1",
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-noinput +B i -kernel inet_dist_use_interface {127,0,0,1}",
        })
        return env

    def _prepare(self, server: Path, user: str | None) -> None:
        home = self.home
        for sub in ("mnesia", "log", "plugins-expand"):
            (home / sub).mkdir(parents=True, exist_ok=True)
        plugins = trimmed_plugins(server, home / "home" / "plugins")
        # rabbitmq-env sources this file after setting RABBITMQ_HOME, and builds ERL_LIBS from it afterwards
        (home / "rabbitmq-env.conf").write_text(f"RABBITMQ_HOME={plugins.parent}\n" if plugins else "")
        (home / "enabled_plugins").write_text("[].\n")
        cookie_file = home / ".erlang.cookie"
        if cookie_file.exists():
            self.cookie = cookie_file.read_text().strip()
        else:
            self.cookie = secrets.token_hex(16).upper()
            cookie_file.write_text(self.cookie)
        os.chmod(cookie_file, 0o400)
        chown_tree(home, user)

    def launch(self) -> "PrivateRabbit":
        """Spawn epmd and the node without waiting for the boot (about 3 s), so other parts start meanwhile.
        Call it from the thread that outlives the node (PDEATHSIG follows the spawning thread)."""
        server = _find("rabbitmq-server", _SERVER_CANDIDATES)
        epmd_bin = _find("epmd", ())
        user = run_as_user(SYSTEM_USER)
        self.run_dir = self.run_dir.resolve()
        self.amqp_port = self.amqp_port or free_port()
        self.epmd_port = self.epmd_port or free_port()
        self.dist_port = self.dist_port or free_port()
        self.node = self.node or f"dinerush-{os.getpid()}-{self.amqp_port}@localhost"
        self.home.mkdir(parents=True, exist_ok=True)
        check_reachable(self.home, user)
        self._prepare(server, user)
        env = self._env()
        logs = self.run_dir / "logs"
        self.epmd = Child("epmd", [str(epmd_bin), "-port", str(self.epmd_port)], logs / "epmd.log",
                          env=env, cwd=self.home, user=user).start()
        self.epmd.wait_port(self.epmd_port, timeout=10)
        self.child = Child("rabbitmq", [str(server)], logs / "rabbitmq.log",
                           env=env, cwd=self.home, user=user).start()
        return self

    def wait_ready(self, timeout: float = 60.0) -> "PrivateRabbit":
        """Block until the AMQP listener is up (RabbitMQ opens it as the last boot step)."""
        assert self.child is not None, "launch() first"
        self.child.wait_port(self.amqp_port, timeout=timeout)
        return self

    def start(self, timeout: float = 60.0) -> "PrivateRabbit":
        return self.launch().wait_ready(timeout)

    @property
    def control(self) -> "RabbitControl":
        return RabbitControl(node=self.node, dist_port=self.dist_port, cookie_file=str(self.home / ".erlang.cookie"))

    def queue_depth(self, name: str, vhost: str = "/", timeout: float = 10.0) -> QueueDepth | None:
        return self.control.queue_depth(name, vhost, timeout)

    def pids(self) -> list[int]:
        return [c.pid for c in (self.child, self.epmd) if c is not None and c.proc is not None]

    def stop_node(self, timeout: float = 20.0) -> None:
        """Stop the node (SIGTERM: it closes connections and writes its queues) but keep epmd, to start it again."""
        assert self.child is not None, "launch() first"
        self.child.stop(timeout=timeout, sig=signal.SIGTERM)

    def start_node(self, timeout: float = 60.0) -> None:
        """Start the node again with the same name, ports and data (durable queues come back); wait for AMQP."""
        assert self.child is not None, "launch() first"
        self.child.start()
        self.wait_ready(timeout)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM the node's process group (beam, erl_child_setup), then our epmd; idempotent."""
        if self.child is not None:
            self.child.stop(timeout=timeout, sig=signal.SIGTERM)
        if self.epmd is not None:
            self.epmd.stop(timeout=5)
