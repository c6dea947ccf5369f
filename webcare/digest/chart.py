"""The digest chart: customer messages per hour (or day) by sentiment, the previous period as
a line, incidents marked. matplotlib's Agg canvas draws it headless into PNG bytes.

Pure apart from drawing: `ChartData` in (see `content.chart_data`), bytes out. It uses a bare
`Figure` with its own Agg canvas, never pyplot, so there is no global state, no display and
no backend to configure, and it is safe inside the asyncio process.
"""

from __future__ import annotations

import io
from datetime import datetime

import numpy as np

from webcare.digest.content import ChartData

COLORS = {"neg": "#d64541", "neu": "#b8bfca", "pos": "#4caf50", "previous": "#2d3142"}
SEVERITY_COLORS = {"low": "#8d99ae", "medium": "#e0a800", "high": "#f07c12", "critical": "#b3001b"}
SIZE = (8.0, 3.6)  # inches; at 100 dpi an 800 x 360 image of some 30-50 kB
LEVELS = 4  # rows of incident numbers above the bars before numbers are left out


def incident_positions(data: ChartData) -> list[tuple[int, float, str]]:
    """(number, x, severity): where each incident sits on the bar axis (bar i spans i ± 0.5)."""
    if not data.bins:
        return []
    first = data.bins[0].timestamp()
    width = (data.bins[1].timestamp() - first) if len(data.bins) > 1 else 3600.0
    out = []
    for number, at, severity in data.incidents:
        x = _position(data, at, first, width)
        if -0.5 <= x <= len(data.bins) - 0.5:
            out.append((number, x, severity))
    return out


def _position(data: ChartData, at: datetime, first: float, width: float) -> float:
    ts = at.timestamp()
    for i, start in enumerate(data.bins):  # bins may differ in length (DST days in a week)
        end = data.bins[i + 1].timestamp() if i + 1 < len(data.bins) else start.timestamp() + width
        if start.timestamp() <= ts < end:
            return i - 0.5 + (ts - start.timestamp()) / (end - start.timestamp())
    return (ts - first) / width - 0.5


def tick_labels(data: ChartData, days: tuple[str, ...]) -> tuple[list[int], list[str]]:
    """Every third hour ('06', '09', ...) for a day; weekday and date for a week."""
    if data.kind == "day":
        ticks = [i for i, b in enumerate(data.bins) if b.hour % 3 == 0 and (i == 0 or data.bins[i - 1].hour != b.hour)]
        return ticks, [f"{data.bins[i]:%H}" for i in ticks]
    return list(range(len(data.bins))), [f"{days[b.weekday()]} {b.day}" for b in data.bins]


def render_png(data: ChartData, *, title: str, labels: tuple[str, str, str], previous_label: str,
               days: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
               dpi: int = 100) -> bytes:
    """Stacked bars (negative, neutral, positive), the previous period as a dashed line and
    numbered triangles for incidents; PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=SIZE, dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    n = len(data.bins)
    x = np.arange(n)
    neg, neu, pos = (np.array(s, dtype=float) for s in (data.neg, data.neu, data.pos))
    width = 0.8
    ax.bar(x, neg, width, color=COLORS["neg"], label=labels[0])
    ax.bar(x, neu, width, bottom=neg, color=COLORS["neu"], label=labels[1])
    ax.bar(x, pos, width, bottom=neg + neu, color=COLORS["pos"], label=labels[2])
    previous = np.array(data.previous, dtype=float)
    ax.plot(x, previous, color=COLORS["previous"], linestyle="--", linewidth=1.2, label=previous_label)
    top = max(float((neg + neu + pos).max(initial=0)), float(previous.max(initial=0)), 1.0)
    if data.upto < n:  # the part of a running day that has not happened yet
        ax.axvspan(data.upto - 0.5, n - 0.5, color="#f1f3f5", zorder=0)
    step = top * 0.11
    last_x = [-10.0] * LEVELS
    for number, pos_x, severity in incident_positions(data):
        color = SEVERITY_COLORS.get(severity, SEVERITY_COLORS["low"])
        level = next((i for i in range(LEVELS) if pos_x - last_x[i] >= 1.0), LEVELS - 1)
        labelled = pos_x - last_x[level] >= 1.0
        last_x[level] = max(last_x[level], pos_x) if labelled else last_x[level]
        y = top * 1.05 + level * step
        ax.vlines(pos_x, 0, y, colors=color, linewidth=0.8, alpha=0.35, zorder=1)
        ax.plot([pos_x], [y], marker="v", markersize=5, color=color, zorder=3)
        if labelled:
            ax.annotate(str(number), (pos_x, y), xytext=(4, 0), textcoords="offset points", ha="left",
                        va="center", fontsize=7, color=color)
    ax.set_ylim(0, top * 1.05 + LEVELS * step)
    ax.set_xlim(-0.6, n - 0.4)
    ticks, names = tick_labels(data, days)
    ax.set_xticks(ticks, names, fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.set_title(title, fontsize=10, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(loc="upper center", fontsize=7, frameon=False, ncol=4, bbox_to_anchor=(0.5, -0.1))
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi, metadata={"Software": None})
    return out.getvalue()


def digest_png(digest, lang: str = "nl") -> bytes:
    """The chart of a `Digest`, labelled in `lang`."""
    from webcare.digest.render import DAYS, chart_title, previous_name, span, words

    w = words(lang)
    return render_png(digest.chart, title=f"{chart_title(digest, lang)} · {span(digest.period, lang)}",
                      labels=w["labels"], previous_label=previous_name(digest, lang), days=DAYS[lang])
