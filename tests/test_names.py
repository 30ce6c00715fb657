"""One name, one thing: no two top-level classes of harness/ and scenarios/ share a name (issue 14: two
different `Verdict`s, `Progress`es and `QueueDepth`s had crept in), and no harness/ module grows past ~350 lines."""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAX_LINES = 360
NOT_YET_SPLIT: set[str] = set()   # issue 15 split harness/runtime/compose.py (settings, CLI, host override, images)


def top_level_classes(package: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted((REPO / package).rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                found[node.name].append(str(path.relative_to(REPO)))
    return found


def test_no_class_name_is_defined_twice():
    found = top_level_classes("harness")
    for name, where in top_level_classes("scenarios").items():
        found[name] += where
    twice = {name: where for name, where in found.items() if len(where) > 1}
    assert twice == {}


def test_no_harness_module_is_over_the_size_limit():
    big = {str(p.relative_to(REPO)): n for p in (REPO / "harness").rglob("*.py")
           if (n := len(p.read_text().splitlines())) > MAX_LINES and str(p.relative_to(REPO)) not in NOT_YET_SPLIT}
    assert big == {}
