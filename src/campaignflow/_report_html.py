"""The HTML dashboard: one self-contained page (inline CSS and SVG, no network at view time)."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

import jinja2

if TYPE_CHECKING:
    from campaignflow._report import Report

_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
_TEMPLATE = _ENV.from_string(
    resources.files("campaignflow").joinpath("templates/dashboard.html.j2").read_text(encoding="utf-8")
)


def render(report: Report, names: dict[str, str] | None = None) -> str:
    """The dashboard's HTML text (every value escaped)."""
    return _TEMPLATE.render(r=report, names=names or {})
