"""Local images in the roles of the official ones (no registry reachable here): a Debian base from debootstrap,
then Python, PostgreSQL 15, RabbitMQ, Toxiproxy (the Go build in .tools/bin) and the services image
(compose/Dockerfile on the local Python). Each is tagged by a content hash of its inputs, so a warm run reuses it."""
from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import SetupError

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_DIR = REPO_ROOT / "compose" / "local"
TOOLS_BIN = REPO_ROOT / ".tools" / "bin"
DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = os.environ.get("DINERUSH_DEBIAN_MIRROR", "http://deb.debian.org/debian")
BASE_RECIPE = f"debootstrap --variant=minbase {DEBIAN_SUITE} {DEBIAN_MIRROR}"
# What compose/Dockerfile COPYs from the repository root (tests/compose checks the two agree).
APP_CONTEXT: tuple[str, ...] = ("pyproject.toml", "README.md", "stack", "scenarios", "faults", "harness",
                                "compose/Dockerfile", "compose/with-bugs", "compose/healthcheck.py")
BUILD_TIMEOUT_S = 1800.0
INPUTS_LABEL = "dinerush.inputs"


@dataclass(frozen=True)
class ImageSpec:
    """One image: its Dockerfile (arcname in the context), the context files (arcname → source) and the role
    whose image it builds on, handed over as the build argument `base_arg`."""

    role: str
    dockerfile: str
    files: tuple[tuple[str, Path], ...]
    base_role: str
    base_arg: str = "BASE"

    def digest(self, base_tag: str) -> str:
        """sha256 over the base image's tag and every context file's name, mode and bytes."""
        h = hashlib.sha256(f"{self.role}\0{self.dockerfile}\0{self.base_arg}={base_tag}\0".encode())
        for arcname, path in self.files:
            h.update(f"{arcname}\0{path.stat().st_mode & 0o111:o}\0".encode())
            h.update(path.read_bytes())
            h.update(b"\0")
        return h.hexdigest()

    def context(self) -> bytes:
        """The build context as an in-memory tar (exactly the hashed files: no .dockerignore needed)."""
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for arcname, path in self.files:   # regular files only (a missing CA bundle is /dev/null: empty)
                data = path.read_bytes()
                info = tarfile.TarInfo(arcname)
                info.size, info.mode = len(data), 0o755 if path.stat().st_mode & 0o111 else 0o644
                tar.addfile(info, io.BytesIO(data))
        return buf.getvalue()


@dataclass(frozen=True)
class Built:
    """What happened to one image in this call: its tag, whether it was built (False: reused), and how long."""

    role: str
    tag: str
    built: bool
    seconds: float


@dataclass(frozen=True)
class LocalImages:
    """The tags to swap into docker-compose.yml, by compose service role, and how each was obtained."""

    toxiproxy: str
    postgres: str
    rabbitmq: str
    app: str
    report: tuple[Built, ...]

    def line(self) -> str:
        parts = [f"{b.role} {'built' if b.built else 'reused'} {b.seconds:.0f}s" for b in self.report]
        return f"local images: {', '.join(parts)} (total {sum(b.seconds for b in self.report):.0f}s)"


def _tree(root: Path, rel: str) -> list[tuple[str, Path]]:
    """Files under root/rel (or the file itself), sorted, without bytecode caches."""
    top = root / rel
    if top.is_file():
        return [(rel, top)]
    if not top.is_dir():
        raise SetupError(f"{top} is missing: the services image needs it")
    found = []
    for path in sorted(top.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            found.append((path.relative_to(root).as_posix(), path))
    return found


def host_ca_bundle() -> Path | None:
    """The CA bundle this host's pip trusts (PIP_CERT, SSL_CERT_FILE, or Debian's), handed to the Python image."""
    for candidate in (os.environ.get("PIP_CERT"), os.environ.get("SSL_CERT_FILE"), "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def image_specs(repo_root: Path = REPO_ROOT, tools_bin: Path = TOOLS_BIN,
                ca_bundle: Path | None = None) -> tuple[ImageSpec, ...]:
    """The five built images in build order (each after the one it builds on)."""
    local = repo_root / "compose" / "local"

    def own(role: str, *extra: tuple[str, Path]) -> ImageSpec:
        files = [("Dockerfile", local / f"{role}.Dockerfile"), *extra]
        return ImageSpec(role, "Dockerfile", tuple(files), base_role="base")

    binaries = []
    for name in ("toxiproxy-server", "toxiproxy-cli"):
        if not (tools_bin / name).is_file():
            raise SetupError(f"{tools_bin / name} is missing: run 'make setup' (it builds Toxiproxy with Go)")
        binaries.append((name, tools_bin / name))
    app_files = tuple(f for rel in APP_CONTEXT for f in _tree(repo_root, rel))
    ca = ca_bundle or host_ca_bundle() or Path(os.devnull)
    return (
        own("python", ("host-ca.crt", ca)),
        own("postgres", ("postgres-entrypoint.sh", local / "postgres-entrypoint.sh")),
        own("rabbitmq", ("rabbitmq-entrypoint.sh", local / "rabbitmq-entrypoint.sh")),
        own("toxiproxy", *binaries),
        ImageSpec("app", "compose/Dockerfile", app_files, base_role="python", base_arg="PYTHON_IMAGE"),
    )


def _tag(role: str, digest: str) -> str:
    return f"dinerush-local/{role}:{digest[:16]}"


def _exists(client: Any, tag: str) -> bool:
    import docker.errors

    try:
        client.images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def debootstrap_base(client: Any, tag: str, workdir: Path, run: Callable[..., Any] = subprocess.run) -> None:
    """`debootstrap --variant=minbase` into workdir, imported as `tag` (FROM scratch + the tree)."""
    if os.geteuid() != 0:
        raise SetupError("building the local base image runs debootstrap, which needs root: run the compose "
                         "tests as root (CI does) or set DINERUSH_NO_DOCKER=1 to skip them")
    if shutil.which("debootstrap") is None:
        raise SetupError("debootstrap not found: run 'make setup' (or 'apt-get install -y debootstrap')")
    root = workdir / "rootfs"
    done = run(["debootstrap", "--variant=minbase", DEBIAN_SUITE, str(root), DEBIAN_MIRROR],
               capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False)
    if done.returncode != 0:
        last = (done.stderr or done.stdout or "").strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        raise SetupError(f"debootstrap of {DEBIAN_SUITE} failed: {last[0]} (see {root}/debootstrap/debootstrap.log)")
    archive = workdir / "rootfs.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(str(root), arcname=".")
    repository, version = tag.split(":")
    client.api.import_image_from_file(str(archive), repository=repository, tag=version,
                                      changes=[f'LABEL {INPUTS_LABEL}="{BASE_RECIPE}"'])


def build_one(client: Any, spec: ImageSpec, tag: str, base_tag: str, digest: str) -> None:
    """`docker build` of one spec with the host network (apt-get and pip reach the package mirrors)."""
    import docker.errors

    try:
        client.images.build(fileobj=io.BytesIO(spec.context()), custom_context=True, dockerfile=spec.dockerfile,
                            tag=tag, buildargs={spec.base_arg: base_tag}, network_mode="host", rm=True,
                            forcerm=True, labels={INPUTS_LABEL: digest})
    except docker.errors.BuildError as err:
        tail = [str(chunk.get("stream") or chunk.get("error") or "").strip() for chunk in err.build_log]
        tail = [t for t in tail if t][-3:]
        raise SetupError(f"building the local {spec.role} image failed: {err.msg}; last lines: {' | '.join(tail)}") \
            from None


def ensure_local_images(client: Any, specs: tuple[ImageSpec, ...] | None = None,
                        clock: Callable[[], float] = time.monotonic) -> LocalImages:
    """Every local image, built only when no image carries its content-hash tag yet."""
    specs = image_specs() if specs is None else specs
    report: list[Built] = []
    tags: dict[str, str] = {}
    base_tag = _tag("base", hashlib.sha256(BASE_RECIPE.encode()).hexdigest())
    start = clock()
    fresh = not _exists(client, base_tag)
    if fresh:
        with tempfile.TemporaryDirectory(prefix="dinerush-base-") as tmp:
            debootstrap_base(client, base_tag, Path(tmp))
    report.append(Built("base", base_tag, fresh, clock() - start))
    tags["base"] = base_tag
    for spec in specs:
        base = tags[spec.base_role]
        digest = spec.digest(base)
        tag = _tag(spec.role, digest)
        start = clock()
        fresh = not _exists(client, tag)
        if fresh:
            build_one(client, spec, tag, base, digest)
        report.append(Built(spec.role, tag, fresh, clock() - start))
        tags[spec.role] = tag
    return LocalImages(toxiproxy=tags["toxiproxy"], postgres=tags["postgres"], rabbitmq=tags["rabbitmq"],
                       app=tags["app"], report=tuple(report))
