from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.targets.external import ExternalConfig

GOOD = """
[http]
orders = "http://127.0.0.1:8000"
kitchen = "http://127.0.0.1:8002"
[toxiproxy]
url = "http://127.0.0.1:8474"
[databases]
orders = "postgresql://u@127.0.0.1:5432/orders"
gateway = "postgresql://u@127.0.0.1:5432/gateway"
kitchen = "postgresql://u@localhost:5432/kitchen"
[queries]
payments_pending = "SELECT 0"
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "target.toml"
    p.write_text(text)
    return p


def test_a_good_config_loads_with_query_overrides(tmp_path: Path) -> None:
    cfg = ExternalConfig.load(write(tmp_path, GOOD))
    assert cfg.orders_url == "http://127.0.0.1:8000"
    assert cfg.queries.payments_pending == "SELECT 0"
    assert "FROM orders" in cfg.queries.orders          # defaults kept


def test_a_remote_host_needs_allow_remote(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("127.0.0.1:8000", "orders.example.internal:8000"))
    with pytest.raises(UsageError, match="--allow-remote"):
        ExternalConfig.load(path)
    assert ExternalConfig.load(path, allow_remote=True).orders_url.startswith("http://orders.example")


@pytest.mark.parametrize("text, match", [
    ("[http]\n", "missing key"),
    ("not toml [", "target.toml"),
    (GOOD + "bogus = 'x'\n", "unknown \\[queries\\] bogus"),
])
def test_bad_configs_are_one_line_usage_errors(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(UsageError, match=match) as err:
        ExternalConfig.load(write(tmp_path, text))
    assert "\n" not in str(err.value)


def test_a_missing_file_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--config"):
        ExternalConfig.load(tmp_path / "nope.toml")
