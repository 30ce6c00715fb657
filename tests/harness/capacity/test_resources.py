"""Naming the limiting resource from a step's figures; CPU seconds from /proc."""
from __future__ import annotations

import os

from harness.capacity.resources import CpuMeter, DbWaits, Samples, cpu_seconds, limiting, machine_seconds, resources
from harness.capacity.search import Resources, StepResult
from harness.audit.history import Backlog


def step(cpu: dict[str, float], cores: int = 2, **kw) -> StepResult:
    return StepResult(1, 50, resources=Resources(cpu_pct=cpu, cores=cores, **kw))


def test_a_saturated_service_is_named():
    lim = limiting(step({"orders": 97.0, "postgres": 30.0, "locust": 40.0}))
    assert lim.what == "orders" and "orders CPU-bound at 97% of a core" in lim.sentence


def test_a_busy_machine_is_named_with_the_load_generator_share():
    lim = limiting(step({"orders": 60.0, "postgres": 50.0, "gateway": 30.0, "locust": 55.0}))
    assert lim.what == "machine" and "2 cores are 98% busy" in lim.sentence and "load generator 55%" in lim.sentence


def test_backlog_and_database_waits():
    prev = step({"orders": 10.0}, queue_messages=3, outbox_unsent=0, payments_pending=0)
    lim = limiting(step({"orders": 10.0}, queue_messages=400, outbox_unsent=0, payments_pending=0,
                        db_active=4.0, db_waiting=3.0), prev)
    assert lim.what == "database" and "kitchen queue backlog 400" in lim.sentence


def test_nothing_visible():
    lim = limiting(step({"orders": 30.0, "locust": 20.0, "postgres": 25.0, "relay": 2.0}, db_active=1.5,
                        db_waiting=0.2))
    assert lim.what == ""
    assert lim.sentence == ("no resource saturated visibly (the machine's 2 cores 38% busy; busiest: orders 30%, "
                            "postgres 25%, locust 20% of a core; 1.5 active database backends (0.2 waiting))")
    assert limiting(None).what == ""


def test_cpu_meter_reads_this_process():
    assert cpu_seconds(os.getpid()) > 0
    assert cpu_seconds(2**22 + 12345) == 0.0          # no such process
    meter = CpuMeter({"me": os.getpid()})
    a = meter.snapshot()
    sum(i * i for i in range(300_000))
    pct = CpuMeter.percent(a, meter.snapshot(), 1.0)
    assert set(pct) == {"me"} and pct["me"] >= 0


def test_resources_from_samples():
    w = DbWaits()
    w.add(2, 1)
    w.add(4, 1)
    r = resources({"orders": 50.0}, 2, w, Backlog(outbox_unsent=1, queue_messages=2, payments_pending=3))
    assert (r.db_active, r.db_waiting, r.outbox_unsent, r.queue_messages, r.payments_pending) == (3.0, 1.0, 1, 2, 3)


def test_a_machine_busy_with_other_work_is_named():
    r = Resources(cpu_pct={"orders": 40.0, "locust": 10.0}, cores=2, machine_busy_pct=96.0)
    lim = limiting(StepResult(1, 50, resources=r))
    assert lim.what == "machine" and "other processes 142%" in lim.sentence


def test_samples_are_cut_to_the_window():
    s = Samples(cpu=[(100.0, {"a": 1.0}), (105.0, {"a": 2.0}), (110.0, {"a": 6.0}), (130.0, {"a": 9.0})],
                machine=[(100.0, 0.0, 0.0), (105.0, 1.0, 2.0), (110.0, 10.0, 12.0)],
                db=[(99.0, 9, 9), (106.0, 2, 0), (108.0, 4, 2)])
    assert s.cpu_pct(105.5, 110.0) == {"a": 80.0}
    assert s.machine_pct(105.5, 110.0) == 90.0
    assert s.db_waits(105.0, 110.0).means() == (3.0, 1.0)
    assert machine_seconds()[1] > 0


def test_trees_take_every_descendant_of_the_roots_found_and_skip_gone_roots() -> None:
    from harness.capacity.resources import ProcStat, trees
    table = {1: ProcStat(0, 1.0, 5), 10: ProcStat(1, 2.0, 6), 11: ProcStat(10, 3.0, 7), 12: ProcStat(10, 0.5, 8),
             20: ProcStat(1, 4.0, 9)}
    assert trees(table, {"pg": [10], "pair": [11, 20], "gone": [99]}) == \
        {"pg": {10, 11, 12}, "pair": {11, 20}, "gone": set()}


def test_a_machine_at_the_busy_share_a_saturated_closed_loop_reaches_is_named():
    """Measured here at the knee: the stack's processes kept 2 cores 89–90% busy, never 100%."""
    lim = limiting(step({"orders": 52.0, "toxiproxy": 35.0, "postgres": 22.0, "gateway": 22.0, "locust": 26.0},
                        machine_busy_pct=89.3))
    assert lim.what == "machine" and "2 cores are 89% busy" in lim.sentence
