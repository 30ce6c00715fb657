"""Blame: every finding names the fault windows its intent overlapped (or quiet / drain), and every finding —
not only the kept examples — is counted per window."""
from auditbuild import FAILED, PAID, PENDING, PLACED, UNKNOWN, History

from harness.audit import System
from harness.audit.history import Backlog
from harness.audit.model import Cluster

DROP = "kitchen_drop publish reset 56–61 s"
NET = "weak_network 3g 5–15 s"


def where(result, system=None):
    return {e.ref: e.windows for e in result.examples if system is None or e.system == system}


def test_lost_tickets_are_blamed_on_the_window_their_intent_overlapped():
    h = History().window(NET, 5, 15).window(DROP, 56, 61).drain_from(75)
    h.paid("k1", at=2).paid("k2", at=20)
    for i in range(3, 10):                                 # 7 paid orders without a ticket, inside the drop
        h.intent(f"k{i}", at=57).order(f"o{i}", f"k{i}", PAID, at=57).charge(f"o{i}", at=57)
    r = h.check("lost", max_examples=2)
    assert r.count == 7 and len(r.examples) == 2
    assert all(e.windows == (DROP,) for e in r.examples)
    assert r.clusters == (Cluster((DROP,), 7),)            # every finding counted, not only the examples


def test_findings_outside_windows_are_quiet_and_after_the_load_are_drain():
    h = History().window(NET, 5, 15).drain_from(75)
    h.intent("k1", at=30).order("o1", "k1", PAID, at=30).charge("o1", at=30)      # lost ticket, quiet
    h.intent("k2", at=80).order("o2", "k2", PAID, at=80).charge("o2", at=80)      # lost ticket, in the drain
    r = h.check("lost")
    assert where(r) == {"o1": ("quiet",), "o2": ("drain",)}
    assert set(r.clusters) == {Cluster(("quiet",), 1), Cluster(("drain",), 1)}


def test_a_fault_soon_after_an_intent_that_touched_none_is_blamed_not_quiet():
    """A KDS that acks at once and writes later loses the tickets of orders paid up to seconds before it crashed
    (seen: 66 lost tickets paid 0.1–4.3 s before a service_crash were all reported quiet)."""
    crash = "service_crash kitchen kill 33–38 s"
    h = History().window(crash, 33, 38).drain_from(75)
    h.intent("k1", at=30).order("o1", "k1", PAID, at=30).charge("o1", at=30)      # paid ~3 s before the crash
    h.intent("k2", at=20).order("o2", "k2", PAID, at=20).charge("o2", at=20)      # paid 12 s before it
    r = h.check("lost")
    assert where(r) == {"o1": (crash,), "o2": ("quiet",)}


def test_an_intent_spanning_two_windows_names_both_and_clusters_under_the_pair():
    h = History().window("a 5–15 s", 5, 15).window("b 15.5–20 s", 15.5, 20).drain_from(60)
    h.intent("k1", at=14.8).order("o1", "k1", PAID, at=14.8).charge("o1", at=14.8)  # 14.8 .. 15.8
    r = h.check("lost")
    assert r.examples[0].windows == ("a 5–15 s", "b 15.5–20 s")
    assert r.clusters == (Cluster(("a 5–15 s", "b 15.5–20 s"), 1),)


def test_a_window_never_healed_blames_everything_after_it_began():
    h = History().window("down 40 s–", 40, None).drain_from(60)
    h.intent("k1", at=50).order("o1", "k1", PAID, at=50).charge("o1", at=50)
    h.intent("k2", at=10).order("o2", "k2", PAID, at=10).charge("o2", at=10)
    assert where(h.check("lost")) == {"o1": ("down 40 s–",), "o2": ("quiet",)}


def test_duplicated_orders_by_key_are_blamed_through_the_intent():
    h = History().window(NET, 5, 15).drain_from(75)
    h.paid("k1", at=6).order("o1-dup", "k1", PLACED, at=9)
    r = h.check("duplicated")
    assert where(r) == {"k1": (NET,)}


def test_a_charge_ref_is_blamed_through_its_order_and_intent():
    gw = "gateway_timeout 20–28 s"
    h = History().window(gw, 20, 28).drain_from(75)
    h.intent("k1", payment=UNKNOWN, at=21).order("o1", "k1", FAILED, at=21).charge("o1", cid="ch_1", at=21)
    r = h.check("unexpected")
    assert where(r, System.CHARGES) == {"ch_1": (gw,)}


def test_a_lost_order_with_no_row_is_blamed_by_the_order_id_the_diner_was_told():
    h = History().window(NET, 5, 15).drain_from(75).intent("k1", payment=None, at=7)
    r = h.check("lost")
    assert where(r) == {"o1": (NET,)}


def test_rows_with_no_intent_are_blamed_by_their_own_times():
    h = History().window(NET, 5, 15).drain_from(75)
    h.order("o9", "k-nobody", PAID, at=12).charge("o9", at=12).ticket("o9", at=12)
    h.ticket("o-ghost", received_at=h.windows[0].start + 1)
    r = h.check("unexpected")
    assert where(r, System.ORDERS) == {"o9": (NET,)}
    assert where(r, System.TICKETS) == {"o-ghost": (NET,)}


def test_backlog_left_after_the_drain_is_blamed_on_the_drain_with_its_count():
    h = History().window(NET, 5, 15).drain_from(75)
    h.paid("k1", at=2).intent("k2", payment=UNKNOWN, at=7).order("o2", "k2", PENDING, at=7)
    h.backlog = Backlog(outbox_unsent=3)
    r = h.check("stuck")
    assert where(r) == {"o2": (NET,), "outbox": ("drain",)}
    assert r.clusters == (Cluster(("drain",), 3), Cluster((NET,), 1))


def test_clusters_are_summed_over_systems_of_record():
    h = History().window(NET, 5, 15).drain_from(75)
    h.intent("k1", at=6)                                # told ok, nothing stored: lost order and lost charge
    r = h.check("lost")
    assert r.count_for(System.ORDERS) == 1 and r.count_for(System.CHARGES) == 1
    assert r.clusters == (Cluster((NET,), 2),)


def test_without_a_timeline_nothing_is_blamed():
    r = History().intent("k1", at=6).check("lost")
    assert r.count == 2 and all(e.windows == () for e in r.examples) and r.clusters == ()


def test_an_intent_with_no_time_is_untimed_not_quiet():
    h = History().window(NET, 5, 15).drain_from(75)
    h.intent("k1")                                       # no times at all (started_at 0): cannot overlap
    assert where(h.check("lost")) == {"o1": ("untimed",)}
