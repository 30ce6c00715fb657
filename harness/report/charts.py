"""Charts as inline SVG strings (matplotlib, Agg backend): throughput and latency over time with fault
windows shaded, and the order-to-kitchen latency histogram."""
from __future__ import annotations

import io
import re
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from harness.audit.figures import Histogram, LatencySummary  # noqa: E402
from harness.report.locust_csv import AGGREGATED, StatsHistory  # noqa: E402
from harness.report.model import FaultWindow  # noqa: E402

INK = "#1f2933"
MUTED = "#7b8794"
FAULT = "#f0b429"
COLORS = ("#2563eb", "#0f9d58", "#d93025", "#8e44ad", "#e67e22")


def svg(fig: Figure, salt: str) -> str:
    """The figure as a bare <svg> element: no XML prolog, DOCTYPE or metadata, ids salted per chart."""
    buf = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    return text


def axes(height: float = 2.6) -> tuple[Figure, plt.Axes]:
    fig, ax = plt.subplots(figsize=(10, height), dpi=96)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(colors=MUTED, labelsize=8)
    ax.grid(axis="y", color="#e4e7eb", linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def _shade(ax: plt.Axes, faults: Sequence[FaultWindow], t_end: float) -> None:
    for i, w in enumerate(faults):
        end = t_end if w.end_s is None else w.end_s
        ax.axvspan(w.start_s, end, color=FAULT, alpha=0.18, linewidth=0)
        ax.text((w.start_s + end) / 2, 1.0 + 0.08 * (i % 2), w.name, transform=ax.get_xaxis_transform(),
                ha="center", va="bottom", fontsize=7, color="#8d6708", clip_on=False)   # staggered: no overlap


def _legend(ax: plt.Axes) -> None:
    """Below the plot, so it never hides a line."""
    ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=5)


def no_data(message: str) -> str:
    fig, ax = axes(1.2)
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", color=MUTED, fontsize=10, transform=ax.transAxes)
    return svg(fig, "nodata" + message)


def throughput_svg(history: StatsHistory | None, faults: Sequence[FaultWindow], t0: float,
                   place_request: str) -> str:
    """Orders/s (the place request), all requests/s and failures/s over elapsed time."""
    if history is None or not history.rows:
        return no_data("no Locust stats history")
    agg = history.series(AGGREGATED)
    fig, ax = axes()
    t_end = max(r.t for r in history.rows) - t0
    _shade(ax, faults, t_end)
    ax.plot([r.t - t0 for r in agg], [r.rps for r in agg], color=MUTED, lw=1.2, label="all requests/s")
    place = history.series(place_request)
    if place:
        ax.plot([r.t - t0 for r in place], [r.rps for r in place], color=COLORS[0], lw=1.8, label="orders/s")
    ax.plot([r.t - t0 for r in agg], [r.fps for r in agg], color=COLORS[2], lw=1.2, label="failures/s")
    ax.set_xlabel("elapsed s", fontsize=8, color=MUTED)
    ax.set_ylabel("per second", fontsize=8, color=MUTED)
    ax.set_xlim(left=0, right=max(t_end, 1))
    ax.set_ylim(bottom=0)
    _legend(ax)
    return svg(fig, "throughput")


def latency_svg(history: StatsHistory | None, faults: Sequence[FaultWindow], t0: float,
                requests: Sequence[tuple[str, str]]) -> str:
    """p50/p95 over time: all requests, and p95 of each (label, request name) given."""
    if history is None or not history.rows:
        return no_data("no Locust stats history")
    fig, ax = axes()
    t_end = max(r.t for r in history.rows) - t0
    _shade(ax, faults, t_end)
    agg = [r for r in history.series(AGGREGATED) if r.pct(0.5) is not None]
    cum = "" if history.full_history else " (cumulative)"
    values: list[float] = []
    for q, style, label in ((0.5, ":", f"p50 all{cum}"), (0.95, "-", f"p95 all{cum}")):
        ys = [r.pct(q) or 0.0 for r in agg]
        values += ys
        ax.plot([r.t - t0 for r in agg], ys, color=MUTED, lw=1.2, ls=style, label=label)
    for i, (label, name) in enumerate(requests):
        rows = [r for r in history.series(name) if r.pct(0.95) is not None]
        if rows:
            ys = [r.pct(0.95) or 0.0 for r in rows]
            values += ys
            ax.plot([r.t - t0 for r in rows], ys, color=COLORS[i % len(COLORS)], lw=1.6, label=f"p95 {label}")
    positive = [v for v in values if v > 0]
    if positive and max(positive) / max(min(positive), 1e-3) > 50:
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0)
    ax.set_xlabel("elapsed s", fontsize=8, color=MUTED)
    ax.set_ylabel("ms", fontsize=8, color=MUTED)
    ax.set_xlim(left=0, right=max(t_end, 1))
    _legend(ax)
    return svg(fig, "latency")


def kitchen_svg(hist: Histogram, summary: LatencySummary) -> str:
    """Order-to-kitchen latency (ticket received - order paid) histogram with p50/p95 marked."""
    if not hist.counts:
        return no_data("no paid order reached the kitchen")
    fig, ax = axes(2.2)
    edges = hist.edges_ms
    widths = [b - a for a, b in zip(edges, edges[1:])]
    ax.bar(edges[:-1], hist.counts, width=widths, align="edge", color=COLORS[1], alpha=0.85, linewidth=0)
    for v, label in ((summary.p50_ms, "p50"), (summary.p95_ms, "p95")):
        if v is not None and edges[0] <= v <= edges[-1]:
            ax.axvline(v, color=INK, lw=1, ls="--")
            ax.text(v, 0.98, f" {label} {v:.0f} ms ", transform=ax.get_xaxis_transform(), fontsize=8, color=INK,
                    va="top", bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5})
    ax.set_xlabel("ms from payment to kitchen" + (f"  (last bar includes {hist.clipped} slower)"
                                                  if hist.clipped else ""), fontsize=8, color=MUTED)
    ax.set_ylabel("tickets", fontsize=8, color=MUTED)
    return svg(fig, "kitchen")
