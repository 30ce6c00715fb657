"""The diner kinds' table is the one place a kind is registered: every reader agrees with it, every diner
module is in it, and a user class of an unregistered kind is refused (never run at Locust's weight 1).

Fast: reads the diner modules' source (importing them would import Locust, which monkey-patches this process)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from scenarios.diners.kinds import KINDS, default_mix
from scenarios.options import DEFAULT_MIX, ScenarioUsageError, from_namespace, parse_mix

DINERS = Path(__file__).resolve().parents[2] / "scenarios" / "diners"
NOT_KINDS = {"__init__", "base", "kinds"}


def class_kinds(path: Path) -> dict[str, str]:
    """`{class name: its kind = "..."}` for the classes of a module."""
    found = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ClassDef):
            for stmt in node.body:
                if (isinstance(stmt, ast.Assign) and [getattr(t, "id", None) for t in stmt.targets] == ["kind"]
                        and isinstance(stmt.value, ast.Constant)):
                    found[node.name] = stmt.value.value
    return found


def test_every_diner_module_is_registered_and_every_entry_names_its_class():
    modules = {p.stem for p in DINERS.glob("*.py")} - NOT_KINDS
    assert {k.user.partition(":")[0].rsplit(".", 1)[1] for k in KINDS.values()} == modules
    for kind in KINDS.values():
        module, _, cls = kind.user.partition(":")
        kinds = class_kinds(DINERS / f"{module.rsplit('.', 1)[1]}.py")
        assert kinds.get(cls) == kind.name, f"{kind.user} must set kind = {kind.name!r}"


def test_weights_are_positive_and_stories_one_line():
    for kind in KINDS.values():
        assert kind.weight > 0 and kind.story and "\n" not in kind.story


def test_every_reader_takes_the_default_mix_from_the_table():
    from harness.capacity.context import CapacityOptions
    from harness.profiles import PROFILES, Profile
    from harness.runtime.compose import LoadSettings

    table = {k.name: float(k.weight) for k in KINDS.values()}
    assert parse_mix(default_mix()) == table
    assert parse_mix(DEFAULT_MIX) == table and from_namespace(None).mix == table
    assert set(parse_mix(DEFAULT_MIX)) == set(KINDS)
    assert Profile("p", "d", "none", 1, 1, 1).mix == default_mix()
    assert {p.mix for p in PROFILES.values()} == {default_mix()}
    assert CapacityOptions().mix == default_mix()
    assert parse_mix(LoadSettings().mix) == table     # compose passes "": the table's weights


def test_capacity_cli_default_mix_is_the_table():
    from harness.commands.capacity import capacity_cmd
    import inspect

    assert inspect.signature(capacity_cmd).parameters["mix"].default == default_mix()


def test_the_compose_file_reads_the_table_not_a_copy():
    text = (DINERS.parents[1] / "compose" / "docker-compose.yml").read_text()
    assert '"${DINERUSH_MIX:-}"' in text
    for name in KINDS:
        assert f"{name}=" not in text


class FakeUser:
    """Stands in for a Locust user class: a kind and a weight."""

    def __init__(self, name: str, kind: str | None) -> None:
        self.__name__, self.kind, self.weight = name, kind, 1


def test_apply_mix_weighs_every_registered_kind():
    from scenarios.locust_wiring import apply_mix

    users = [FakeUser(k.name, k.name) for k in KINDS.values()]
    apply_mix(users, parse_mix("pos=2.5"))
    assert {u.kind: u.weight for u in users} == {**{k: 0 for k in KINDS}, "pos": 2.5}


@pytest.mark.parametrize("kind", ["waiter", None])
def test_apply_mix_refuses_a_user_class_of_an_unregistered_kind(kind):
    from scenarios.locust_wiring import apply_mix

    users = [FakeUser("DineIn", "dine_in"), FakeUser("Waiter", kind)]
    with pytest.raises(ScenarioUsageError, match="Waiter.*not registered.*scenarios/diners/kinds.py"):
        apply_mix(users, parse_mix(DEFAULT_MIX))
    assert users[1].weight == 1   # and nothing about it was silently set
