"""`dinerush capacity` bad input: one line naming the fix, exit 64, no run folder."""
from __future__ import annotations

import pytest

from harness.cli import main


@pytest.mark.parametrize("args,says", [
    (["--peak", "lots"], "--peak"),
    (["--under", "hail"], "unknown fault"),
    (["--under", "weak_network:6g"], "choose one of"),
    (["--step-seconds", "1"], "--step-seconds"),
    (["--start-users", "0"], "--start-users"),
    (["--slo-error-rate", "-1"], "--slo-error-rate"),
    (["--mix", "robots=1"], "--mix"),
    (["--bug", "no-such-bug"], "no-such-bug"),
])
def test_bad_input_is_usage(tmp_path, capsys, args, says):
    assert main(["capacity", "--quiet", "--out", str(tmp_path), *args]) == 64
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
