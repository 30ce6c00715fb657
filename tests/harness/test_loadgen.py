from pathlib import Path

from harness.loadgen import LoadSpec, LocustRun

HISTORY = """Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size
1700000000,0,,Aggregated,0.000000,0.000000,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,0,0,0,0.0,0,0,0.0
1700000001,8,POST,place,10.000000,0.000000,12,13,14,15,16,17,18,19,20,20,20,10,0,12,12.5,9,20,100.0
1700000001,8,,Aggregated,21.500000,1.000000,12,13,14,15,16,40,50,60,70,70,70,43,2,12,15.0,5,70,120.0
"""


def spec(**kw) -> LoadSpec:
    base = dict(host="http://127.0.0.1:1", duration_s=30, users=5, spawn_rate=5, seed=3)
    return LoadSpec(**{**base, **kw})


def test_flat_load_passes_users_and_spawn_rate(tmp_path: Path) -> None:
    argv = LocustRun(spec(), tmp_path).argv()
    assert argv[argv.index("--users") + 1] == "5"
    assert argv[argv.index("--run-time") + 1] == "30s"
    assert argv[argv.index("--dinerush-ledger") + 1] == str(tmp_path / "ledger.jsonl")
    assert "--processes" not in argv and "--dinerush-peak-users" not in argv


def test_shaped_load_passes_peak_users_and_workers(tmp_path: Path) -> None:
    argv = LocustRun(spec(shape="lunch_rush", workers=2), tmp_path).argv()
    assert "--users" not in argv
    assert argv[argv.index("--dinerush-peak-users") + 1] == "5"
    assert argv[argv.index("--processes") + 1] == "2"
    port = argv[argv.index("--master-bind-port") + 1]
    assert argv[argv.index("--master-bind-host") + 1] == "127.0.0.1" and argv[argv.index("--master-port") + 1] == port


def test_progress_reads_the_last_aggregated_row(tmp_path: Path) -> None:
    run = LocustRun(spec(), tmp_path)
    assert run.progress().requests == 0          # no file yet
    run.history_path.write_text(HISTORY)
    p = run.progress()
    assert (p.users, p.rps, p.p95_ms, p.requests, p.failures) == (8, 21.5, 40.0, 43, 2)


def test_progress_without_percentiles_yet(tmp_path: Path) -> None:
    run = LocustRun(spec(), tmp_path)
    run.history_path.write_text("\n".join(HISTORY.splitlines()[:2]) + "\n")
    assert run.progress().p95_ms is None
