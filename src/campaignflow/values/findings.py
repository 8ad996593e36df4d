"""Findings and verdicts: what a rule and a gate say, as data."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, Protocol

import attrs
import orjson


class Names(Protocol):
    """What a verdict names things by (a run's labels: ``campaignflow.definition.labels.Labels``)."""

    def unit(self, unit: str) -> str: ...

    def event(self, event: str) -> str: ...

    def stage(self, stage: str) -> str: ...


class Status(StrEnum):
    """The outcome of one rule."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # the rule raised or returned garbage: never counted as a pass


# Enum attribute access is slow on the hot path (Python 3.11); look members up once.
_PASSED = Status.PASSED


@attrs.frozen(kw_only=True)
class Finding:
    """What one rule found for one unit.

    Attributes:
        rule: the rule id (``"talks_deep"``); empty until the rule stamps it.
        label: the rule's human label, in any language (``"谈心交心深入"``).
        status: passed, failed or error.
        reason: a sentence a clerk can act on (``"no talk between 张三 and 李四"``).
        evidence: ids of the evidence the rule relied on.
        missing: what is missing, one id per entry (person, unit or pair ids:
            ``"p1–p2"``), or a count (``"2 × Note"``).
        children: the findings of the sub-rules of a combinator, in order.
        missing_labels: what a clerk reads for each entry of ``missing``, in the
            same order (``"张三–李四"``); empty when the entries read as they are.
    """

    rule: str = ""
    label: str = ""
    status: Status = Status.PASSED
    reason: str = ""
    evidence: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    children: tuple[Finding, ...] = ()
    missing_labels: tuple[str, ...] = ()
    _json: bytes | None = attrs.field(default=None, init=False, eq=False, repr=False)

    @property
    def passed(self) -> bool:
        """True when the rule held."""
        return self.status is _PASSED

    def canonical(self) -> bytes:
        """:meth:`to_dict` as canonical JSON (sorted keys), computed once per finding.

        Findings are immutable, and a transition without a gate shares one finding
        across all its verdicts: the log encodes it once, not once per step.
        """
        found = self._json
        if found is None:
            found = orjson.dumps(self.to_dict(), option=orjson.OPT_SORT_KEYS)
            object.__setattr__(self, "_json", found)  # a cache on a frozen value
        return found

    def leaves(self) -> tuple[Finding, ...]:
        """The findings of the plain rules under this one, depth first."""
        if not self.children:
            return (self,)
        return tuple(leaf for child in self.children for leaf in child.leaves())

    def failing(self) -> tuple[Finding, ...]:
        """The findings that explain a failure: the deepest failing ones.

        A failing combinator is explained by its failing sub-rules; a failing
        ``not_`` (whose sub-rule passed) or a failing plain rule explains itself.
        """
        if self.passed:
            return ()
        below = tuple(f for child in self.children for f in child.failing())
        return below or (self,)

    def to_dict(self) -> dict[str, Any]:
        """This finding as JSON-ready data."""
        out: dict[str, Any] = {
            "rule": self.rule,
            "label": self.label,
            "status": str(self.status),
            "passed": self.passed,
            "reason": self.reason,
            "evidence": list(self.evidence),
            "missing": list(self.missing),
        }
        if self.missing_labels:
            out["missing_labels"] = list(self.missing_labels)
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        return out

    def missing_shown(self) -> tuple[str, ...]:
        """:attr:`missing` as a clerk reads it: the labels where there are some."""
        return self.missing_labels or self.missing

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """Rebuild a finding from :meth:`to_dict` output."""
        return cls(
            rule=data["rule"],
            label=data["label"],
            status=Status(data["status"]),
            reason=data["reason"],
            evidence=tuple(data.get("evidence", ())),
            missing=tuple(data.get("missing", ())),
            children=tuple(cls.from_dict(c) for c in data.get("children", ())),
            missing_labels=tuple(data.get("missing_labels", ())),
        )

    def lines(self, depth: int = 0) -> list[str]:
        """Render as indented text lines, one per rule."""
        mark = {"passed": "✓", "failed": "✗", "error": "!"}[self.status.value]
        name = self.label or self.rule
        text = f"{'  ' * depth}{mark} {name}"
        if self.reason:
            text += f": {self.reason}"
        out = [text]
        for child in self.children:
            out.extend(child.lines(depth + 1))
        return out


def ok(reason: str = "", *, evidence: tuple[str, ...] | list[str] = ()) -> Finding:
    """A passing finding, for custom rules to return."""
    return Finding(status=Status.PASSED, reason=reason, evidence=tuple(evidence))


def fail(
    reason: str,
    *,
    evidence: tuple[str, ...] | list[str] = (),
    missing: tuple[str, ...] | list[str] = (),
) -> Finding:
    """A failing finding with an actionable reason, for custom rules to return."""
    return Finding(status=Status.FAILED, reason=reason, evidence=tuple(evidence), missing=tuple(missing))


@attrs.frozen(kw_only=True, eq=False, repr=False)
class Verdict:
    """The result of checking an event's gate (and ordering) for one unit.

    Attributes:
        unit: the unit checked.
        event: the event checked.
        stage: the unit's stage when checked.
        root: the finding of the whole gate (a tree mirroring the gate).
        at: ISO time of the check, from the run's clock.

    A passing verdict of a gate made of declared primitives may be built lazily
    (``build=``): its findings are computed on first use, from the records read
    at the check, so fires that nobody inspects do not pay for explanations.
    """

    unit: str
    event: str
    stage: str
    _root: Finding | None = attrs.field(default=None, alias="root")
    at: str = ""
    _build: Callable[[], Finding] | None = attrs.field(default=None, alias="build")
    labels: Names | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self._root is None and self._build is None:
            msg = "a Verdict needs root= (or build=, a callable returning it)"
            raise TypeError(msg)

    @property
    def root(self) -> Finding:
        """The finding of the whole gate."""
        root = self._root
        if root is None:
            assert self._build is not None  # noqa: S101 - __attrs_post_init__ guarantees it
            root = self._build()
            object.__setattr__(self, "_root", root)  # a cache on a frozen value: built once
            object.__setattr__(self, "_build", None)
        return root

    @property
    def passed(self) -> bool:
        """True when the whole gate held (a lazy verdict is only made for a pass)."""
        return True if self._root is None else self._root.passed

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Verdict):
            return NotImplemented
        return (self.unit, self.event, self.stage, self.at, self.root) == (
            other.unit,
            other.event,
            other.stage,
            other.at,
            other.root,
        )

    def __hash__(self) -> int:
        return hash((self.unit, self.event, self.stage, self.at))

    def __repr__(self) -> str:
        return (
            f"Verdict(unit={self.unit!r}, event={self.event!r}, stage={self.stage!r}, "
            f"root={self.root!r}, at={self.at!r})"
        )

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every plain rule's finding, passing or not, depth first."""
        return self.root.leaves()

    @property
    def failures(self) -> tuple[Finding, ...]:
        """The rules whose failure closes the gate (never empty when it is closed)."""
        return self.root.failing()

    def explain(self) -> str:
        """A text a clerk can read: the verdict, then one line per rule.

        A verdict from a run names the unit, event and stage by label, the id beside
        it (``韩寺镇 (t-03) may not fire 召开专题民主生活会 (hold_meeting)``); one read
        back from a store, without the run, names them by id.
        """
        head = "may" if self.passed else "may not"
        names = self.labels
        if names is None:
            lines = [f"unit {self.unit!r} {head} fire {self.event!r} (stage {self.stage!r})"]
        else:
            event, stage = names.event(self.event), names.stage(self.stage)
            lines = [f"unit {names.unit(self.unit)} {head} fire {event} (stage {stage})"]
        lines.extend(self.root.lines(1))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """This verdict as JSON-ready data."""
        return {
            "unit": self.unit,
            "event": self.event,
            "stage": self.stage,
            "passed": self.passed,
            "at": self.at,
            "root": self.root.to_dict(),
        }

    def fragment(self) -> orjson.Fragment:
        """:meth:`to_dict` as canonical JSON, for embedding in an encoded step."""
        return orjson.Fragment(
            orjson.dumps(
                {
                    "unit": self.unit,
                    "event": self.event,
                    "stage": self.stage,
                    "passed": self.passed,
                    "at": self.at,
                    "root": orjson.Fragment(self.root.canonical()),
                },
                option=orjson.OPT_SORT_KEYS,
            )
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        """Rebuild a verdict from :meth:`to_dict` output."""
        return cls(
            unit=data["unit"],
            event=data["event"],
            stage=data["stage"],
            at=data.get("at", ""),
            root=Finding.from_dict(data["root"]),
        )


# A verdict for the hot path, set through the slots' own descriptors (``Verdict``'s attrs
# ``__init__`` sets each field through ``object.__setattr__``, then checks root or build).
# tests/test_fast_values.py checks it makes the value the constructor makes, field by field.
_new = object.__new__
_v_unit, _v_event, _v_stage, _v_root, _v_at, _v_build, _v_labels = (
    getattr(Verdict, name).__set__ for name in ("unit", "event", "stage", "_root", "at", "_build", "labels")
)


def verdict_of(  # noqa: PLR0917 - positional on purpose: the hot path's constructor
    unit: str,
    event: str,
    stage: str,
    at: str,
    labels: Names | None,
    root: Finding | None = None,
    build: Callable[[], Finding] | None = None,
) -> Verdict:
    """``Verdict(unit=..., event=..., stage=..., at=..., labels=..., root=root, build=build)``,
    built field by field through the slots; one of ``root`` and ``build`` is given."""
    if root is None and build is None:
        msg = "a Verdict needs root= (or build=, a callable returning it)"
        raise TypeError(msg)
    verdict: Verdict = _new(Verdict)
    _v_unit(verdict, unit)
    _v_event(verdict, event)
    _v_stage(verdict, stage)
    _v_root(verdict, root)
    _v_at(verdict, at)
    _v_build(verdict, build)
    _v_labels(verdict, labels)
    return verdict
