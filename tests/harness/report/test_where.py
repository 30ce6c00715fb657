"""Blame in words: window labels, the audit's timeline, and where a check's violations cluster."""
from harness.audit import CheckResult, Example, System, SystemCount, Verdict
from harness.audit.model import Cluster
from harness.report.where import cluster_lines, timeline, where_text, window_label
from harness.report.model import FaultWindow

T0 = 1_700_000_000.0
DROP = "kitchen_drop kitchen_publish reset_peer 56–61 s"


def test_window_label_names_fault_links_toxics_and_seconds():
    w = FaultWindow("kitchen_drop", 56.2, 61.4, "kitchen_publish:reset_peer/downstream(timeout=0)")
    assert window_label(w) == DROP
    net = FaultWindow("weak_network", 5, 15, "diner_edge:latency/upstream(latency=1000,jitter=0), "
                                            "diner_edge:bandwidth/downstream(rate=50)")
    assert window_label(net) == "weak_network diner_edge latency+bandwidth 5–15 s"
    assert window_label(FaultWindow("db_stall", 40, None)) == "db_stall 40 s–never healed"


def test_timeline_is_in_epoch_seconds():
    tl = timeline((FaultWindow("a", 5, 15), FaultWindow("b", 40, None)), T0, T0 + 75)
    assert [(w.start, w.end) for w in tl.windows] == [(T0 + 5, T0 + 15), (T0 + 40, None)]
    assert tl.load_end == T0 + 75


def test_where_text():
    assert where_text([Cluster((DROP,), 136)]) == f"all in {DROP}"
    assert where_text([Cluster(("weak_network 3g 5–15 s",), 9), Cluster(("quiet",), 3)]) == \
        "9 in weak_network 3g 5–15 s, 3 quiet"
    assert where_text([Cluster(("a", "b"), 2), Cluster(("drain",), 1)]) == "2 in a + b, 1 in the drain"
    assert where_text([]) == ""


def test_cluster_lines_one_per_system_with_findings():
    tickets = SystemCount(System.TICKETS, 136, (Example(System.TICKETS, "o1", "no ticket", (DROP,)),),
                          (Cluster((DROP,), 136),))
    c = CheckResult("lost", Verdict.INVALID, 136,
                    (SystemCount(System.ORDERS, 0), SystemCount(System.CHARGES, 0), tickets))
    assert cluster_lines(c) == [f"lost tickets 136, all in {DROP}"]
