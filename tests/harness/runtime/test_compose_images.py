"""The local images' cache keys: a content hash of exactly the files each build sees, chained through the image
it builds on; an image whose tag exists is reused, never rebuilt. The docker SDK is faked at its boundary."""
from __future__ import annotations

import io
import tarfile
from pathlib import Path

import docker.errors
import pytest

from harness.errors import SetupError
from harness.runtime import compose_images
from harness.runtime.compose_images import ImageSpec, ensure_local_images, image_specs


def spec(tmp_path: Path, text: str = "FROM ${BASE}\n") -> ImageSpec:
    (tmp_path / "Dockerfile").write_text(text)
    (tmp_path / "run.sh").write_text("#!/bin/sh\n")
    (tmp_path / "run.sh").chmod(0o755)
    return ImageSpec("x", "Dockerfile", (("Dockerfile", tmp_path / "Dockerfile"), ("run.sh", tmp_path / "run.sh")),
                     base_role="base")


def test_the_digest_follows_content_mode_and_base(tmp_path):
    s = spec(tmp_path)
    first = s.digest("base:1")
    assert s.digest("base:1") == first
    assert s.digest("base:2") != first                       # a new base rebuilds everything on it
    (tmp_path / "run.sh").chmod(0o644)
    assert s.digest("base:1") != first                       # the executable bit matters in an image
    (tmp_path / "run.sh").chmod(0o755)
    (tmp_path / "Dockerfile").write_text("FROM ${BASE}\nRUN true\n")
    assert s.digest("base:1") != first


def test_the_context_holds_exactly_the_hashed_files(tmp_path):
    with tarfile.open(fileobj=io.BytesIO(spec(tmp_path).context())) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert set(members) == {"Dockerfile", "run.sh"}
    assert members["run.sh"].mode == 0o755 and members["Dockerfile"].mode == 0o644


def test_the_specs_cover_every_role_and_the_app_context_has_no_bytecode():
    specs = {s.role: s for s in image_specs()}
    assert list(specs) == ["python", "postgres", "rabbitmq", "toxiproxy", "app"]
    assert specs["app"].base_role == "python" and specs["app"].base_arg == "PYTHON_IMAGE"
    names = [a for a, _ in specs["app"].files]
    assert "stack/orders/menu.json" in names and "compose/with-bugs" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert ("toxiproxy-server", "toxiproxy-cli") == tuple(a for a, _ in specs["toxiproxy"].files[1:])


def test_missing_toxiproxy_binaries_name_the_fix(tmp_path):
    with pytest.raises(SetupError, match="toxiproxy-server is missing: run 'make setup'"):
        image_specs(tools_bin=tmp_path)


class FakeImages:
    def __init__(self, present: set[str]) -> None:
        self.present, self.built = set(present), []

    def get(self, tag):
        if tag not in self.present:
            raise docker.errors.ImageNotFound(tag)
        return tag

    def build(self, **kw):
        self.built.append((kw["tag"], kw["buildargs"]))
        self.present.add(kw["tag"])
        return kw["tag"], iter(())


class FakeClient:
    def __init__(self, present: set[str]) -> None:
        self.images = FakeImages(present)


def test_a_warm_cache_builds_nothing_and_a_changed_input_rebuilds_only_what_depends_on_it(tmp_path, monkeypatch):
    base = compose_images._tag("base", compose_images.hashlib.sha256(compose_images.BASE_RECIPE.encode()).hexdigest())
    monkeypatch.setattr(compose_images, "debootstrap_base", lambda *a: pytest.fail("the base exists: no debootstrap"))
    (tmp_path / "p").mkdir()
    (tmp_path / "q").mkdir()
    python = ImageSpec("python", "Dockerfile", (("Dockerfile", _write(tmp_path / "p" / "D", "a")),), "base")
    app = ImageSpec("app", "Dockerfile", (("Dockerfile", _write(tmp_path / "q" / "D", "b")),), "python",
                    "PYTHON_IMAGE")
    other = ImageSpec("postgres", "Dockerfile", python.files, "base")
    rabbit = ImageSpec("rabbitmq", "Dockerfile", app.files, "base")
    toxi = ImageSpec("toxiproxy", "Dockerfile", app.files, "base")
    specs = (python, other, rabbit, toxi, app)
    client = FakeClient({base})
    cold = ensure_local_images(client, specs)
    assert [b.built for b in cold.report] == [False, True, True, True, True, True]
    assert client.images.built[-1][1] == {"PYTHON_IMAGE": cold.report[1].tag}   # app builds on this python
    warm = ensure_local_images(client, specs)
    assert not any(b.built for b in warm.report) and warm.app == cold.app
    _write(tmp_path / "q" / "D", "c")                         # only the app's input changed
    again = ensure_local_images(client, specs)
    assert [b.role for b in again.report if b.built] == ["rabbitmq", "toxiproxy", "app"]   # they share that file
    assert again.postgres == cold.postgres and again.app != cold.app


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
