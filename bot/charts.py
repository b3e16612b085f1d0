"""The progression report's charts as PNG bytes: stages over the months, and the cohort funnel.

The only module that imports matplotlib. It draws on its own `Figure` with the Agg canvas (never pyplot), so
nothing global changes and no display is needed. The charts sit on an opaque light background with dark text,
which reads the same in Discord's dark and light themes; the colours are the Okabe-Ito palette (told apart with
common colour blindness). The same report gives the same bytes: no timestamp or version is written in the PNG.
"""

from __future__ import annotations

import io
import threading
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from bot.domain.progression import STAGES
from bot.domain.progression_report import COHORT_STAGES, ProgressionReport, share

BACKGROUND = "#FFFFFF"
INK = "#1F2328"
GRID = "#D0D7DE"
COLOURS = {"lurker": "#B8C0CC", "participant": "#56B4E9", "regular": "#009E73", "helper": "#E69F00",
           "leader": "#CC79A7"}
SIZE = (9.6, 5.4)  # inches: 960 × 540 pixels at DPI, a 16:9 image Discord previews whole
DPI = 100
# matplotlib is not thread-safe (its font cache is shared), and charts are drawn off the event loop: one at a time.
_DRAWING = threading.Lock()


def _figure() -> tuple[Figure, Axes]:
    figure = Figure(figsize=SIZE, dpi=DPI, facecolor=BACKGROUND)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(facecolor=BACKGROUND)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        axes.spines[side].set_color(INK)
    axes.tick_params(colors=INK, labelsize=10)
    axes.grid(axis="y", color=GRID, linewidth=0.8)
    axes.set_axisbelow(True)
    return figure, axes


def _crowded(axes: Axes, ticks: int) -> None:
    """More than a year of months: slant the labels so they do not run into each other."""
    if ticks > 12:
        axes.tick_params(axis="x", labelrotation=60, labelsize=8)


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", facecolor=BACKGROUND, metadata={"Software": None})
    return out.getvalue()


def _legend(axes: Axes, **where: Any) -> None:
    legend = axes.legend(frameon=True, facecolor=BACKGROUND, edgecolor=GRID, labelcolor=INK, fontsize=10,
                         **where)
    legend.get_title().set_color(INK)


def stages_png(report: ProgressionReport) -> bytes:
    """Members at each stage at each month's close, stacked; the month still running is shaded and marked."""
    with _DRAWING:
        return _stages(report)


def cohorts_png(report: ProgressionReport) -> bytes:
    """For each month's joiners, the share who reached participant, regular and helper by the report's last month."""
    with _DRAWING:
        return _cohorts(report)


def _stages(report: ProgressionReport) -> bytes:
    figure, axes = _figure()
    labels = [report.label(m.month) for m in report.months]
    positions = list(range(len(labels)))
    counts = [[m.stages[stage] for m in report.months] for stage in STAGES]
    if len(positions) == 1:  # an area needs two points: one month is a stacked bar
        bottom = 0
        for stage, values in zip(STAGES, counts, strict=True):
            axes.bar(positions, values, bottom=bottom, color=COLOURS[stage], label=stage, width=0.5,
                     edgecolor=BACKGROUND)
            bottom += values[0]
    else:
        axes.stackplot(positions, counts, labels=STAGES, colors=[COLOURS[s] for s in STAGES],
                       edgecolor=BACKGROUND, linewidth=0.8)
    running = [i for i, m in enumerate(report.months) if m.provisional]
    top = max((len(m.members) for m in report.months), default=0)
    for index in running:
        axes.axvspan(index - 0.5 if len(positions) > 1 else index - 0.35, index + 0.001 if len(positions) > 1
                     else index + 0.35, color=INK, alpha=0.08, linewidth=0)
        axes.annotate("still running", (index, top), xytext=(0, 6), textcoords="offset points",
                      ha="right" if len(positions) > 1 else "center", va="bottom", color=INK, fontsize=9,
                      fontstyle="italic")
    axes.set_xticks(positions, [label + ("*" if m.provisional else "") for label, m in
                                zip(labels, report.months, strict=True)])
    _crowded(axes, len(positions))
    axes.set_xlim(-0.5 if len(positions) == 1 else 0, max(positions) + (0.5 if len(positions) == 1 else 0))
    axes.set_ylim(0, max(1, top) * 1.12)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("month (server time; * still running)", color=INK, fontsize=11)
    axes.set_ylabel("members", color=INK, fontsize=11)
    axes.set_title(f"Members by stage at each month's close, {report.span()}", color=INK, fontsize=13,
                   loc="left")
    handles, names = axes.get_legend_handles_labels()
    _legend(axes, handles=handles[::-1], labels=names[::-1], loc="upper left", bbox_to_anchor=(1.01, 1),
            title="stage", title_fontsize=10)  # leader on top, as in the stack
    figure.tight_layout()
    return _png(figure)


def _cohorts(report: ProgressionReport) -> bytes:
    figure, axes = _figure()
    cohorts = report.cohorts
    if not cohorts:
        axes.set_axis_off()
        axes.text(0.5, 0.5, "Nobody the bot saw join joined in these months.", ha="center", va="center",
                  color=INK, fontsize=13, transform=axes.transAxes)
    else:
        width = 0.8 / len(COHORT_STAGES)
        for offset, stage in enumerate(COHORT_STAGES):
            xs = [i + (offset - (len(COHORT_STAGES) - 1) / 2) * width for i in range(len(cohorts))]
            values = [share(c.by_end[stage], c.joined) for c in cohorts]
            bars = axes.bar(xs, values, width=width * 0.95, color=COLOURS[stage], label=f"reached {stage}")
            if len(cohorts) <= 12:  # past that the labels would overlap; the axis still reads
                axes.bar_label(bars, labels=[f"{round(100 * v)}%" for v in values], color=INK, fontsize=8,
                               padding=2)
        joined = " (n joined)" if len(cohorts) > 12 else ""
        axes.set_xticks(range(len(cohorts)), [f"{report.label(c.month)} ({c.joined})" if joined
                                              else f"{report.label(c.month)}\n{c.joined} joined" for c in cohorts])
        _crowded(axes, len(cohorts))
        axes.set_ylim(0, 1.1)
        axes.yaxis.set_major_formatter(PercentFormatter(1.0))
        axes.set_xlabel(f"month of joining (server time){joined}", color=INK, fontsize=11)
        axes.set_ylabel(f"share of joiners, by {report.label(report.last)}", color=INK, fontsize=11)
        _legend(axes, loc="upper left", bbox_to_anchor=(1.01, 1))
    axes.set_title(f"How far each month's joiners got, {report.span()}", color=INK, fontsize=13, loc="left")
    figure.tight_layout()
    return _png(figure)
