"""Fixtures of the compose tests that need an engine (marked `compose`): one private dockerd for the session and
the local images. Nothing is skipped silently: a missing tool fails the test with the fix; DINERUSH_NO_DOCKER=1
skips them on a developer box (never in CI), said in the test summary."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Iterator

import pytest

from harness.runtime.compose_images import LocalImages, ensure_local_images
import private_dockerd as dockerd

BUILD_LINE = pytest.StashKey[str]()


def _skip_or_fail(why: str) -> None:
    if os.environ.get(dockerd.SKIP_ENV) == "1" and not os.environ.get("CI"):
        pytest.skip(f"{dockerd.SKIP_ENV}=1: compose tests NOT run on this box ({why})")
    if os.environ.get(dockerd.SKIP_ENV) == "1":
        pytest.fail(f"{dockerd.SKIP_ENV}=1 is ignored in CI (CI is set): the compose tests must run; {why}")
    pytest.fail(why)


@pytest.fixture(scope="session")
def private_docker() -> Iterator[dockerd.PrivateDocker]:
    """The private daemon, DOCKER_HOST pointing at it for the session; stopped by its pid at the end."""
    if os.environ.get(dockerd.SKIP_ENV) == "1" and not os.environ.get("CI"):
        _skip_or_fail("skipped on request")
    try:
        daemon = dockerd.start()
    except dockerd.DockerUnavailable as err:
        _skip_or_fail(str(err))
    before = os.environ.get("DOCKER_HOST")
    os.environ["DOCKER_HOST"] = daemon.host
    try:
        yield daemon
    finally:
        if before is None:
            os.environ.pop("DOCKER_HOST", None)
        else:
            os.environ["DOCKER_HOST"] = before
        dockerd.stop(daemon)


@pytest.fixture(scope="session")
def docker_client(private_docker):
    import docker

    client = docker.DockerClient(base_url=private_docker.host, timeout=1800)
    yield client
    client.close()


@pytest.fixture(scope="session")
def local_images(docker_client, request) -> LocalImages:
    """Every local image, built on a cold data root, reused on a warm one; the timings go to the test summary."""
    start = time.monotonic()
    images = ensure_local_images(docker_client)
    request.config.stash[BUILD_LINE] = f"{images.line()}; wall {time.monotonic() - start:.0f}s"
    return images


@pytest.fixture
def compose_env(private_docker, local_images) -> dict[str, str]:
    """The environment of a `dinerush run --target compose` in the tests' mode (local images, host network)."""
    return {**os.environ, "DOCKER_HOST": private_docker.host, "DINERUSH_COMPOSE_LOCAL_IMAGES": "1"}


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    line = config.stash.get(BUILD_LINE, None)
    if line:
        terminalreporter.write_line(f"compose: {line}")


@pytest.fixture(scope="module")
def compose_runs_root() -> Iterator[Path]:
    from e2erun import make_runs_root

    yield from make_runs_root()
