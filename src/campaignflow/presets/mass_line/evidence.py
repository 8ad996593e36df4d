"""Evidence types of the mass-line campaign (attrs values, validated on creation).

Each type names the seed wording it records. Invalid values raise
:class:`~campaignflow.EvidenceError` (a ``ValueError``) naming the field and the fix.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Any

import attrs

from campaignflow.exceptions import EvidenceError

MAX_TEXT = 10_000  # characters; longer texts belong in an attached document
# C0 controls but tab and newline; one regex scan, not a Python loop per character (every decode runs it).
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f]")


def _text(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        msg = f"{attribute.name} must be a non-empty string, got {value!r}"
        raise EvidenceError(msg)
    if len(value) > MAX_TEXT:
        msg = f"{attribute.name} is {len(value)} characters; keep it under {MAX_TEXT}"
        raise EvidenceError(msg)
    if CONTROLS.search(value):
        msg = f"{attribute.name} contains control characters: remove them"
        raise EvidenceError(msg)


def _number(low: float, high: float) -> Any:
    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not low <= value <= high
        ):
            msg = f"{attribute.name} must be a number in [{low:g}, {high:g}], got {value!r}"
            raise EvidenceError(msg)

    return check


def _people(_: object, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    for person in value:
        _text(_, attribute, person)


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(value)


class Source(StrEnum):
    """How an opinion was collected (征求意见的渠道)."""

    FORM = "form"  # 征求意见表
    FORUM = "forum"  # 座谈会
    VISIT = "visit"  # 走访
    MAILBOX = "mailbox"  # 意见箱


class FourWinds(StrEnum):
    """The 四风: the four undesirable work styles the campaign targets."""

    FORMALISM = "formalism"  # 形式主义
    BUREAUCRATISM = "bureaucratism"  # 官僚主义
    HEDONISM = "hedonism"  # 享乐主义
    EXTRAVAGANCE = "extravagance"  # 奢靡之风


FOUR_WINDS_LABELS = {
    FourWinds.FORMALISM: "形式主义",
    FourWinds.BUREAUCRATISM: "官僚主义",
    FourWinds.HEDONISM: "享乐主义",
    FourWinds.EXTRAVAGANCE: "奢靡之风",
}


@attrs.frozen(kw_only=True)
class MobilisationMeeting:
    """动员会: the mobilisation meeting that opens the campaign at a unit."""

    chaired_by: str = attrs.field(validator=_text)
    attendees: int = attrs.field(validator=_number(1, 1_000_000))
    held_on: date | None = None


@attrs.frozen(kw_only=True)
class StudySession:
    """集中学习: a study session (hours, required readings, who attended, who chaired).

    The preset declares ``counts_below(StudySession, people="attendees",
    roles=("principal",))``: a session lists the principals of the level below it
    invites (学习上延一级), and each is credited at their own unit.
    """

    hours: float = attrs.field(validator=_number(0.25, 24))
    readings: tuple[str, ...] = attrs.field(default=(), converter=_strings, validator=_people)
    attendees: tuple[str, ...] = attrs.field(default=(), converter=_strings, validator=_people)
    chaired_by: str = ""


@attrs.frozen(kw_only=True)
class MemberNotes:
    """学习笔记、心得体会: a member's study notes and reflections."""

    member: str = attrs.field(validator=_text)
    reflections: int = attrs.field(default=1, validator=_number(0, 1000))


@attrs.frozen(kw_only=True)
class Opinion:
    """征求意见: an opinion collected from the public, by form, forum, visit or mailbox."""

    source: Source = attrs.field(converter=Source)
    category: str = attrs.field(validator=_text)
    text: str = attrs.field(default="(recorded)", validator=_text)


@attrs.frozen(kw_only=True)
class Problem:
    """查摆问题: a problem found, in one of the 四风 categories; confirmed once verified."""

    category: FourWinds = attrs.field(converter=FourWinds)
    description: str = attrs.field(validator=_text)
    confirmed: bool = False
    person: str = ""


@attrs.frozen(kw_only=True)
class Talk:
    """谈心交心: a heart-to-heart talk between two leadership members."""

    a: str = attrs.field(validator=_text)
    b: str = attrs.field(validator=_text)

    def __attrs_post_init__(self) -> None:
        if self.a == self.b:
            msg = f"a talk needs two different people, got {self.a!r} twice"
            raise EvidenceError(msg)


@attrs.frozen(kw_only=True)
class SelfInspection:
    """对照检查材料: a draft of the self-inspection material (Zhongmou: 10+ revisions)."""

    author: str = attrs.field(validator=_text)
    revision: int = attrs.field(validator=_number(1, 1000))


@attrs.frozen(kw_only=True)
class SupervisionApproval:
    """督导组审查同意: the supervision group's approval of one revision of the material.

    The approver is the actor who records it; only members of a group that
    supervises the unit count, and only for the latest revision.
    """

    revision: int = attrs.field(validator=_number(1, 1000))
    note: str = ""


@attrs.frozen(kw_only=True)
class Criticism:
    """批评: a criticism raised at the democratic-life meeting, from one member to another."""

    source: str = attrs.field(validator=_text)
    target: str = attrs.field(validator=_text)
    text: str = "(recorded)"

    def __attrs_post_init__(self) -> None:
        if self.source == self.target:
            msg = f"a criticism of oneself is self-criticism, not criticism: {self.source!r}"
            raise EvidenceError(msg)


@attrs.frozen(kw_only=True)
class PublicEvaluation:
    """群众评议: the public's evaluation after the meeting, as a score out of 100."""

    score: float = attrs.field(validator=_number(0, 100))
    respondents: int = attrs.field(validator=_number(1, 10_000_000))


@attrs.frozen(kw_only=True)
class LedgerItem:
    """拉单子、建台账: a problem to fix, assigned 到事、到门、到人 with a deadline.

    ``ledger`` names one of the three ledgers (三本台账: 民生, 困难, 稳定) or "rectify".
    """

    item: str = attrs.field(validator=_text)
    matter: str = attrs.field(validator=_text)
    department: str = attrs.field(validator=_text)
    person: str = attrs.field(validator=_text)
    deadline: date
    ledger: str = "rectify"


@attrs.frozen(kw_only=True)
class LedgerClosure:
    """销号: a ledger item closed, with whether the public accepted the result."""

    item: str = attrs.field(validator=_text)
    accepted: bool
    note: str = ""


@attrs.frozen(kw_only=True)
class AdoptedRule:
    """建章立制: a rule or regulation adopted (e.g. 《中牟县党员领导干部行为规范》)."""

    title: str = attrs.field(validator=_text)


@attrs.frozen(kw_only=True)
class Satisfaction:
    """群众满意度测评: the public satisfaction assessment that closes the campaign."""

    score: float = attrs.field(validator=_number(0, 100))
    respondents: int = attrs.field(validator=_number(1, 10_000_000))


HANDBOOKS: tuple[str, ...] = ("明白纸", "简明读本", "学习笔记")
"""人手一张明白纸、人手一册简明读本、人手一本学习笔记 (Gongcun)."""


@attrs.frozen(kw_only=True)
class MaterialsIssued:
    """发放学习资料: study materials handed to members (人手一册)."""

    members: tuple[str, ...] = attrs.field(converter=_strings, validator=_people)
    items: tuple[str, ...] = attrs.field(default=HANDBOOKS, converter=_strings, validator=_people)


@attrs.frozen(kw_only=True)
class Visit:
    """深入联系点: a leader's visit to a contact point (县领导每周深入乡村), recorded there.

    Recorded at the visited unit, it shows in that unit's history (互动下延一级) and
    counts for the visitor's ``contact_visits`` obligation.
    """

    leader: str = attrs.field(validator=_text)
    note: str = "听取民意、发现问题、解决问题"
    days: int = attrs.field(default=1, validator=_number(1, 366))


@attrs.frozen(kw_only=True)
class DiaryEntry:
    """民情日记: a cadre's weekly diary of what the people raised."""

    cadre: str = attrs.field(validator=_text)
    text: str = attrs.field(default="(entry)", validator=_text)


@attrs.frozen(kw_only=True)
class HouseholdLink:
    """住村联户、结对帮扶: a cadre linked to households.

    Gongcun links each cadre to five (一联五); Zengkou's 39 cadres cover 100+ households.
    """

    cadre: str = attrs.field(validator=_text)
    households: tuple[str, ...] = attrs.field(converter=_strings, validator=_people)


EVIDENCE: tuple[type[Any], ...] = (
    MobilisationMeeting,
    StudySession,
    MemberNotes,
    Opinion,
    Problem,
    Talk,
    SelfInspection,
    SupervisionApproval,
    Criticism,
    PublicEvaluation,
    LedgerItem,
    LedgerClosure,
    AdoptedRule,
    Satisfaction,
    MaterialsIssued,
    Visit,
    DiaryEntry,
    HouseholdLink,
)
