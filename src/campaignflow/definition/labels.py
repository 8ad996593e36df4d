"""Names a clerk reads: units, events and stages by label, with the id beside it.

A run holds one :class:`Labels` over its definition and org; rules reach it through
:class:`~campaignflow.Context` and verdicts carry it to :meth:`Verdict.explain`.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable
from types import CodeType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from campaignflow.definition.model import Definition
    from campaignflow.org.graph import Org


def with_id(label: str, ident: str) -> str:
    """``"label (id)"``, or the id alone when there is no other label."""
    return ident if not label or label == ident else f"{label} ({ident})"


class Labels:
    """Labels of one campaign's events and stages and one org's units."""

    __slots__ = ("_events", "definition", "org")

    def __init__(self, definition: Definition, org: Org) -> None:
        self.definition = definition
        self.org = org
        self._events = {t.event: t.label for t in reversed(definition.transitions) if t.label}

    def unit(self, unit: str) -> str:
        """``"韩寺镇 (t-03)"``."""
        return with_id(self.org.name_of(unit), unit)

    def event(self, event: str) -> str:
        """``"召开专题民主生活会 (hold_meeting)"``."""
        return with_id(self._events.get(event, ""), event)

    def stage(self, stage: str) -> str:
        """``"查摆问题、开展批评 (examine)"``; a nested stage's labels joined by ``·``."""
        parts = stage.split(".")
        labels = [self.definition.stage_labels.get(".".join(parts[: i + 1]), "") for i in range(len(parts))]
        shown = "·".join(lb or p for lb, p in zip(labels, parts, strict=True))
        return with_id(shown if any(labels) else "", stage)


def describe_where(where: Callable[[Any], bool] | None) -> str:
    """A short, stable text for a ``where=`` filter, for a rule's default id and label.

    A filter with a ``label`` attribute gives it; a named function gives its name and
    the values it closes over (``match(category=formalism)``); a lambda gives where it
    was written (``lambda@rules.py:12``) and its closed-over values.
    """
    if where is None:
        return ""
    given = getattr(where, "label", None)
    if isinstance(given, str) and given:
        return given
    code = getattr(where, "__code__", None)
    name = getattr(where, "__name__", type(where).__name__)
    if code is None:
        return name
    if name == "<lambda>":
        name = _lambda_text(code)
    cells = getattr(where, "__closure__", None) or ()
    values = [
        f"{var}={_short(cell.cell_contents)}" for var, cell in zip(code.co_freevars, cells, strict=False)
    ]
    return f"{name}({', '.join(values)})" if values else name


def _lambda_text(code: CodeType) -> str:
    """A lambda's body as written (``s.ok``), or where it was written when the source is gone."""
    spans = [
        (col, end)
        for line, last, col, end in code.co_positions()
        if line == code.co_firstlineno and last == line and col and end
    ]
    text = linecache.getline(code.co_filename, code.co_firstlineno)
    if spans and text:
        # Columns count UTF-8 bytes, not characters.
        raw = text.encode()[min(c for c, _ in spans) : max(e for _, e in spans)]
        body = raw.decode(errors="replace").strip()
        if body:
            return _short(body)
    col = min((c for c, _ in spans), default=0)
    return f"lambda@{code.co_filename.rsplit('/', 1)[-1]}:{code.co_firstlineno}:{col}"


def _short(value: object) -> str:
    text = getattr(value, "value", value)  # an enum member by its value
    shown = str(text)
    return shown if len(shown) <= 40 else shown[:39] + "…"  # noqa: PLR2004 - a readable id
