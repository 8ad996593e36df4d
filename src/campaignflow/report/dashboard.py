"""The HTML dashboard: one self-contained page (inline CSS and SVG, no network at view time)."""

from __future__ import annotations

from importlib import resources
from typing import Any

import jinja2

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
_TEMPLATE = _ENV.from_string(
    resources.files("campaignflow.report").joinpath("templates/dashboard.html.j2").read_text(encoding="utf-8")
)


def render(report: Any, names: dict[str, str] | None = None) -> str:
    """The dashboard's HTML text (every value escaped) of a ``Report``.

    The template reads the report's attributes; this module imports nothing of
    the report's data, so that ``Report.to_html()`` can call it without a circle.
    """
    return _TEMPLATE.render(r=report, names=names or {})
