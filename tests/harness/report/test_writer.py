import json
import re

from reportbuild import T0, audit_with, check, history, meta

from harness.audit import AuditOptions, Index, Verdict, audit, figures
from harness.audit.history import ChargeRow, FinalReads, OrderRow, TicketRow
from harness.errors import Exit
from harness.report import FaultWindow, SLOConfig, evaluate_slos, write_reports
from harness.report.where import timeline
from harness.report.kitchen import KitchenLags, recovery
from scenarios.ledger import Item, LedgerEntry, Told

CART = (Item("D01", 2, 1200),)


def small_run(faults=()):
    """Two intents: one fine, one shown twice on the KDS (a duplicated ticket); blamed on `faults`."""
    ledger = [LedgerEntry(f"k{i}", "dine_in", CART, 2400, Told.OK, f"o{i}", payment=Told.OK) for i in (1, 2)]
    orders = tuple(OrderRow(f"o{i}", f"k{i}", "PAID", CART, 2400, T0, T0 + 1) for i in (1, 2))
    charges = tuple(ChargeRow(f"ch{i}", f"o{i}", 2400, "captured", T0) for i in (1, 2))
    tickets = (TicketRow("o1", CART, 2400, T0 + 1.2), TicketRow("o2", CART, 2400, T0 + 1.4),
               TicketRow("o2", CART, 2400, T0 + 1.9, deliveries=2))
    reads = FinalReads(orders, charges, tickets)
    ix = Index.build(ledger, reads, AuditOptions(timeline=timeline(faults, T0, T0 + 60)))
    return audit(ledger, reads, index=ix), figures(ledger, reads, index=ix), KitchenLags.from_index(ix)


def test_writes_all_three_reports(tmp_path):
    faults = FaultWindow.from_stamps([("weak_network", 1.5, 3, "diner_edge: 3G"), ("kitchen_drop", 40, None)])
    result, figs, lags = small_run(faults)
    h = history()
    slos = evaluate_slos(SLOConfig(), h, faults, T0, kitchen=lags)
    healed = recovery(faults, T0, T0 + 60, SLOConfig(), history=h, lags=lags)
    out = write_reports(tmp_path / "run", meta=meta(), audit=result, figures=figs, slos=slos, faults=faults,
                        history=h, recovery=healed)
    assert out.exit_code is Exit.INVARIANT
    s = json.loads(out.summary_json.read_text())
    assert s["exit_code"] == 1 and s["exit"] == "invariant"
    assert s["run"]["profile"] == "ci-gate" and s["run"]["bugs"] == ["kitchen-no-dedupe"] and s["run"]["duration_s"] == 60
    checks = {c["name"]: c for c in s["audit"]["checks"]}
    assert checks["duplicated"]["verdict"] == "invalid" and checks["duplicated"]["count"] == 1
    assert checks["duplicated"]["systems"]["tickets"]["examples"][0]["ref"] == "o2"
    net = "weak_network diner_edge 3G 2–3 s"                   # the second ticket of o2 arrived at 1.9 s
    assert checks["duplicated"]["systems"]["tickets"]["examples"][0]["windows"] == [net]
    assert checks["duplicated"]["where"] == f"all in {net}"
    assert checks["duplicated"]["lines"] == [f"duplicated tickets 1, all in {net}"]
    assert checks["lost"]["verdict"] == "valid" and checks["lost"]["clusters"] == []
    assert [x["status"] for x in s["slos"]] == ["pass", "pass", "pass", "pass"]
    assert s["slos"][3]["name"] == "p95 paid to kitchen" and "over 2 orders" in s["slos"][3]["detail"]
    assert [(r["fault"], r["status"], r["text"]) for r in s["recovery"]] == \
        [("weak_network", "recovered", "0.0 s"), ("kitchen_drop", "never healed", "never healed")]
    assert s["figures"]["intents"] == 2 and s["figures"]["kitchen_redeliveries"] == 1
    assert s["faults"][1] == {"name": "kitchen_drop", "start_s": 40.0, "end_s": None, "detail": ""}

    html = out.report_html.read_text()
    assert "<table" in html and ">duplicated<" in html and "o2" in html and "2 ticket rows on the KDS" in html
    assert html.count("<svg") == 3 and "weak_network" in html
    assert f"duplicated tickets 1, all in {net}" in html and "Recovery after each fault" in html
    assert "never healed" in html and "p95 paid to kitchen" in html
    # self-contained: no external resources, no scripts
    assert not re.search(r'(?:src|href)\s*=\s*["\']?\s*(?:https?:)?//', html)
    assert "<link" not in html and "<script" not in html and "@import" not in html
    assert out.junit_xml.exists()


def test_report_without_history_or_figures_still_renders(tmp_path):
    a = audit_with(check("stuck", Verdict.UNKNOWN))
    out = write_reports(tmp_path, meta=meta(bugs=()), audit=a, figures=None, inconclusive=["no steady state"])
    assert out.exit_code is Exit.INCONCLUSIVE
    html = out.report_html.read_text()
    assert "no Locust stats history" in html and "Inconclusive" in html and "no steady state" in html
    assert json.loads(out.summary_json.read_text())["inconclusive"] == ["no steady state"]


def test_user_text_is_escaped(tmp_path):
    a = audit_with(check("lost", Verdict.INVALID, orders=[("<script>x</script>", "told ok & gone")]))
    html = write_reports(tmp_path, meta=meta(), audit=a, figures=None).report_html.read_text()
    assert "<script>x" not in html and "&lt;script&gt;" in html
