"""三评三审两转化: the per-member procedure for unqualified party members.

Zhongmou piloted it in 3 of its 274 villages before rolling it out county-wide
(试点 then 铺开). Each unqualified member is a unit of this sub-campaign, under
their village: three evaluations (自评, 互评, 群众评), three reviews (支部审,
乡镇党委审, 县委组织部审), then one of two conversions: education until
qualified (转化为合格) or organisational disposal (组织处置). Members of pilot
villages go first: the others may not start their evaluation until every pilot
member has finished theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any

import attrs

import campaignflow as cf


class EvaluationKind(StrEnum):
    """The three evaluations (三评)."""

    SELF = "self"  # 自评
    PEER = "peer"  # 互评
    PUBLIC = "public"  # 群众评


class ReviewLevel(StrEnum):
    """The three reviews (三审)."""

    BRANCH = "branch"  # 支部审
    TOWNSHIP = "township"  # 乡镇党委审
    COUNTY = "county"  # 县委组织部审


class Outcome(StrEnum):
    """The two conversions (两转化)."""

    QUALIFIED = "qualified"  # 教育转化为合格党员
    DISPOSED = "disposed"  # 组织处置


@attrs.frozen(kw_only=True)
class MemberEvaluation:
    """One of the three evaluations of a member."""

    kind: EvaluationKind = attrs.field(converter=EvaluationKind)
    rating: str = "不合格"


@attrs.frozen(kw_only=True)
class MemberReview:
    """One of the three reviews of a member's case."""

    level: ReviewLevel = attrs.field(converter=ReviewLevel)
    approved: bool = True


@attrs.frozen(kw_only=True)
class Conversion:
    """The outcome of the case."""

    outcome: Outcome = attrs.field(converter=Outcome)
    note: str = ""


def _matching(field: str, value: StrEnum) -> Callable[[Any], bool]:
    def match(evidence: Any) -> bool:
        return bool(getattr(evidence, field) == value and getattr(evidence, "approved", True))

    return match


def _each(of: type[Any], field: str, values: Sequence[StrEnum], labels: Mapping[str, str]) -> cf.Rule:
    return cf.all_of(
        *(
            cf.exists(
                of,
                where=_matching(field, v),
                id=f"{of.__name__}:{v.value}",
                label=labels[v.value],
            )
            for v in values
        ),
        id=f"all:{of.__name__}",
        label="、".join(labels.values()),
    )


EVALUATION_LABELS = {"self": "自评", "peer": "互评", "public": "群众评"}
REVIEW_LABELS = {"branch": "支部审", "township": "乡镇党委审", "county": "县委组织部审"}


def campaign() -> cf.Campaign:
    """Build the 三评三审两转化 sub-campaign (units are members)."""
    c = cf.Campaign("three-evaluations-2014", label="三评三审两转化")
    c.stage("identified", label="排查不合格党员")
    c.stage("review", label="三审")
    c.stage("conversion", label="帮教转化")
    c.stage("qualified", label="转化为合格党员")
    c.stage("disposed", label="组织处置")
    c.evidence(MemberEvaluation, MemberReview, Conversion)
    c.transition(
        "evaluate",
        "identified",
        "review",
        gate=_each(MemberEvaluation, "kind", list(EvaluationKind), EVALUATION_LABELS),
        order=cf.pilots_first(),
        label="三评",
    )
    c.transition(
        "review",
        "review",
        "conversion",
        gate=_each(MemberReview, "level", list(ReviewLevel), REVIEW_LABELS),
        label="三审",
    )
    c.transition(
        "qualify",
        "conversion",
        "qualified",
        gate=cf.exists(Conversion, where=lambda e: e.outcome is Outcome.QUALIFIED, label="教育转化合格"),
        label="转化为合格",
    )
    c.transition(
        "dispose",
        "conversion",
        "disposed",
        gate=cf.exists(Conversion, where=lambda e: e.outcome is Outcome.DISPOSED, label="组织处置决定"),
        label="组织处置",
    )
    return c


def member_org(org: cf.Org, members: Mapping[str, Sequence[str]]) -> cf.Org:
    """The org of the sub-campaign: the villages' ancestors, the villages, and the members.

    Args:
        org: the campaign's organisation.
        members: unqualified member person ids by village id.

    Members of pilot villages are pilots. The member units are named after the
    people, and belong to level ``"member"`` below the org's levels.
    """
    keep: dict[str, None] = {}
    for village in members:
        org.require(village)
        for unit in (*reversed(org.ancestors(village)), village):
            keep[unit] = None
    units: list[dict[str, object]] = [
        {
            "id": u,
            "parent": org.parent(u),
            "level": org.level(u),
            "name": org.name_of(u),
            # Only members take part; a pilot village's members are the pilots.
            "pilot": False,
        }
        for u in keep
    ]
    for village, people in members.items():
        units.extend(
            {
                "id": person,
                "parent": village,
                "level": "member",
                "name": org.name_of(person),
                "pilot": org.is_pilot(village),
            }
            for person in people
        )
    return cf.Org.from_dicts(units, levels=(*org.levels, "member"), name=f"{org.name}-members")
