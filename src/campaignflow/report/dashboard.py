"""The HTML dashboard: one self-contained page (inline CSS and SVG, no network at view time)."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Any

import jinja2

if TYPE_CHECKING:
    from campaignflow.report.timeline import Timeline

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
_TEMPLATE = _ENV.from_string(
    resources.files("campaignflow.report").joinpath("templates/dashboard.html.j2").read_text(encoding="utf-8")
)

COLOURS = ("#3f7fbf", "#e07b39", "#4caf50", "#9c27b0", "#d32f2f", "#00897b", "#795548", "#607d8b")
SHOWN = 10
"""Rows of a long table shown before the rest is folded into a <details>."""
HEAT_SHOWN = 30
"""Rows of the heat map shown before the rest is folded (it is the overview: more stay in view)."""

# The timeline's plot area inside its SVG, in px.
LEFT, TOP, WIDTH, HEIGHT = 48, 12, 560, 180


def chart(timeline: Timeline) -> dict[str, Any]:
    """The timeline's polylines: one per stage, its points and the values they draw."""
    n = len(timeline.ends)
    peak = timeline.peak

    def x(i: int) -> float:
        return round(LEFT + WIDTH * (i / (n - 1) if n > 1 else 0.5), 1)

    def y(v: int) -> float:
        return round(TOP + HEIGHT * (1 - v / peak), 1)

    series = [
        {
            "stage": stage,
            "label": label,
            "colour": COLOURS[k % len(COLOURS)],
            "counts": ",".join(map(str, counts)),
            "points": " ".join(f"{x(i)},{y(v)}" for i, v in enumerate(counts)),
        }
        for k, (stage, label, counts) in enumerate(
            zip(timeline.stages, timeline.labels, timeline.counts, strict=True)
        )
    ]
    return {
        "series": series,
        "peak": peak,
        "first": timeline.ends[0][:10],
        "last": timeline.ends[-1][:10],
        "period": timeline.period,
        "points": n,
        "left": LEFT,
        "top": TOP,
        "width": WIDTH,
        "height": HEIGHT,
    }


def render(report: Any) -> str:
    """The dashboard's HTML text (every value escaped) of a ``Report``.

    The report's sections, then one drill-down section per report of its
    ``drill_downs`` (the same sections, ids prefixed ``unit-ID-``), shown when
    its heat-map row's link names it (``#unit-ID``, CSS ``:target``: no script).
    The template reads the report's attributes; this module imports nothing of
    the report's data, so that ``Report.to_html()`` can call it without a circle.
    """
    return _TEMPLATE.render(r=report, chart=chart, shown=SHOWN, heat_shown=HEAT_SHOWN)
