"""The rules of the mass-line campaign: 五个不开会, the criticism rule, the ledger.

Each rule carries the seed wording as its label, and a reason a clerk can act on.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

import campaignflow as cf
from campaignflow.definition.rules import Rule
from campaignflow.presets.mass_line.evidence import (
    FOUR_WINDS_LABELS,
    HANDBOOKS,
    AdoptedRule,
    Criticism,
    FourWinds,
    HouseholdLink,
    LedgerClosure,
    LedgerItem,
    MaterialsIssued,
    MemberNotes,
    Opinion,
    Problem,
    PublicEvaluation,
    Satisfaction,
    SelfInspection,
    StudySession,
    SupervisionApproval,
    Talk,
)


@attrs.frozen(kw_only=True)
class Thresholds:
    """What "up to standard" means; configure per campaign.

    Defaults follow Zengkou (集中学习四次); Gongcun's stricter standard is
    ``Thresholds(study_sessions=15, study_hours=20)`` (15 sessions, 20 class hours).

    Attributes:
        study_sessions: study sessions needed in stage 1.
        study_hours: total class hours needed in stage 1.
        opinions: opinions collected needed in stage 1.
        problems: confirmed problems needed; ``None`` means one per 四风 category.
        criticisms: criticisms each leadership member raises to each other one (2).
        rework_limit: send-backs tolerated before a unit goes on the 曝光台 (3).
        households_per_cadre: households each leadership member is linked to
            (住村联户 一联五: 5).
        households_total: households a unit's leadership must cover together
            (Zengkou: 39 cadres, 100+ households); ``None``: no total.
        visit_grace: days after a week ends that a contact visit may still be made.
    """

    study_sessions: int = attrs.field(default=4, validator=attrs.validators.ge(0))
    study_hours: float = attrs.field(default=8.0, validator=attrs.validators.ge(0))
    opinions: int = attrs.field(default=10, validator=attrs.validators.ge(0))
    problems: int | None = None
    criticisms: int = attrs.field(default=2, validator=attrs.validators.ge(1))
    rework_limit: int = attrs.field(default=3, validator=attrs.validators.ge(0))
    households_per_cadre: int = attrs.field(default=5, validator=attrs.validators.ge(0))
    households_total: int | None = None
    visit_grace: int = attrs.field(default=2, validator=attrs.validators.ge(0))


def study_rules(t: Thresholds) -> tuple[Rule, ...]:
    """学习教育: the study standards (sessions, class hours, attendance, notes, handbooks)."""
    return (
        cf.count_at_least(StudySession, t.study_sessions, label=f"集中学习不少于{t.study_sessions}次"),
        cf.sum_at_least(StudySession, "hours", t.study_hours, label=f"学习不少于{t.study_hours:g}课时"),
        cf.every_member_has(
            StudySession,
            among="leadership",
            by="attendees",
            id="study_attendance",
            label="班子成员参加集中学习(学习上延一级)",
        ),
        cf.every_member_has(MemberNotes, among="members", by="member", label="人手一本学习笔记"),
        cf.coverage(
            MaterialsIssued,
            among="members",
            by="members",
            covers="items",
            required=HANDBOOKS,
            id="handbooks",
            label="人手一册(明白纸、简明读本、学习笔记)",
        ),
    )


def opinions_rule(t: Thresholds) -> Rule:
    """听取意见: opinions collected, at least ``t.opinions`` of them."""
    return cf.count_at_least(Opinion, t.opinions, label=f"征求意见不少于{t.opinions}条")


def stage1_up_to_standard(t: Thresholds) -> Rule:
    """Clause 1: 学习教育和听取意见环节各项工作达标 — stage-1 work is up to standard.

    Also the gate of ``finish_study``: a unit cannot drift into 查摆问题 empty-handed.
    """
    return cf.all_of(
        *study_rules(t),
        opinions_rule(t),
        id="stage1_up_to_standard",
        label="学习教育和听取意见环节各项工作达标",
    )


@cf.rule("principal_chaired_study", label="主要负责同志主持学习", reads=(StudySession,), roles=("principal",))
def principal_chaired_study(ctx: cf.Context) -> cf.Finding:
    """The principal leader chaired at least one study session."""
    principals = set(ctx.people("principal"))
    if not principals:
        return cf.fail("the unit has no principal leader: add one to the org (role 'principal')")
    chaired = [r for r in ctx.records(StudySession) if r.value.chaired_by in principals]
    names = "、".join(ctx.name(p) for p in sorted(principals))
    if chaired:
        return cf.ok(f"{names} chaired {len(chaired)} sessions", evidence=[r.id for r in chaired])
    return cf.fail(f"{names} has chaired no study session", missing=sorted(principals))


def principal_engaged() -> Rule:
    """Clause 2: 主要负责同志重视 — chaired study, held talks with every member."""
    return cf.all_of(
        principal_chaired_study,
        cf.every_pair(Talk, among="leadership", hub="principal", label="主要负责同志与每位班子成员谈心"),
        id="principal_engaged",
        label="主要负责同志重视",
    )


def _confirmed(category: FourWinds | None = None) -> Callable[[Problem], bool]:
    def match(problem: Problem) -> bool:
        return problem.confirmed and (category is None or problem.category is category)

    return match


def _key_problems(t: Thresholds) -> Rule:
    """Clause 3: 突出问题找准 — a confirmed problem of each of the 四风, or ``t.problems`` of them.

    Declared (not custom) so that the testing kit and ``campaignflow check`` can
    aim at it: each category is its own finding, naming what is missing.
    """
    if t.problems is not None:
        return cf.count_at_least(
            Problem,
            t.problems,
            where=_confirmed(),
            id="key_problems_identified",
            label=f"突出问题找准(确认问题不少于{t.problems}条)",
        )
    return cf.all_of(
        *(
            cf.exists(
                Problem, where=_confirmed(c), id=f"problem:{c.value}", label=f"找准{FOUR_WINDS_LABELS[c]}问题"
            )
            for c in FourWinds
        ),
        id="key_problems_identified",
        label="突出问题找准",
    )


def talks_in_depth() -> Rule:
    """Clause 4: 谈心交心深入 — every pair of leadership members talked."""
    return cf.every_pair(Talk, among="leadership", id="talks_in_depth", label="谈心交心深入")


def materials_approved() -> Rule:
    """Clause 5: 对照检查材料经督导组审查同意 — the latest revision, by the unit's own group."""
    return cf.approved_by(
        SupervisionApproval,
        group="supervises",
        latest_of=SelfInspection,
        id="materials_approved",
        label="对照检查材料经督导组审查同意",
    )


def five_no_meetings(t: Thresholds) -> Rule:
    """五个不开会: the meeting is not held while any clause fails."""
    return cf.all_of(
        stage1_up_to_standard(t),
        principal_engaged(),
        _key_problems(t),
        talks_in_depth(),
        materials_approved(),
        id="five_no_meetings",
        label="五个不开会",
    )


def contact_visits_kept(visits: cf.Obligation) -> Rule:
    """会前到联系点蹲点调研: no meeting while the unit's leaders' contact visits are overdue."""
    return cf.not_overdue(visits, id="contact_visits_kept", label="会前深入联系点(县领导每周深入乡村)")


def meeting_ready(t: Thresholds, visits: cf.Obligation) -> Rule:
    """The meeting's gate: the 五个不开会, and the leaders' contact visits kept."""
    return cf.all_of(
        five_no_meetings(t),
        contact_visits_kept(visits),
        id="meeting_ready",
        label="五个不开会、会前深入联系点",
    )


def households_linked(t: Thresholds) -> Rule:
    """住村联户: each leadership member linked to ``t.households_per_cadre`` households (一联五)."""
    return cf.coverage(
        HouseholdLink,
        among="leadership",
        by="cadre",
        covers="households",
        at_least=t.households_per_cadre,
        total=t.households_total,
        id="households_linked",
        label=f"住村联户(一联{t.households_per_cadre})"
        + (f"、联系群众{t.households_total}户以上" if t.households_total else ""),
    )


def criticism(t: Thresholds) -> Rule:
    """Each leadership member raised ``t.criticisms`` criticisms to every other member."""
    return cf.every_pair(
        Criticism,
        among="leadership",
        between=("source", "target"),
        at_least=t.criticisms,
        directed=True,
        id="mutual_criticism",
        label=f"班子成员相互批评每人不少于{t.criticisms}条",
    )


def public_evaluation() -> Rule:
    """群众评议 held after the meeting."""
    return cf.exists(PublicEvaluation, id="public_evaluation", label="开展群众评议")


@cf.rule("ledger_closed", label="台账全部销号、群众认可", reads=(LedgerItem, LedgerClosure))
def ledger_closed(ctx: cf.Context) -> cf.Finding:
    """Every ledger item is closed, and the public accepted the closure."""
    accepted = {r.value.item for r in ctx.records(LedgerClosure) if r.value.accepted}
    items = ctx.records(LedgerItem)
    open_items = [r for r in items if r.value.item not in accepted]
    if not open_items:
        return cf.ok(f"all {len(items)} ledger items closed and accepted")
    shown = "; ".join(
        f"{r.value.matter} ({r.value.department}, {ctx.name(r.value.person)}, by {r.value.deadline})"
        for r in open_items[:5]
    )
    more = f" and {len(open_items) - 5} more" if len(open_items) > 5 else ""  # noqa: PLR2004
    return cf.fail(
        f"{len(open_items)} of {len(items)} ledger items not closed with public acceptance: {shown}{more}",
        evidence=[r.id for r in open_items],
        missing=[r.value.item for r in open_items],
    )


def conclusion(t: Thresholds | None = None) -> Rule:
    """Closing: ledger closed, households linked (住村联户), rules adopted (建章立制),
    public satisfaction assessed."""
    return cf.all_of(
        ledger_closed,
        households_linked(t or Thresholds()),
        cf.exists(AdoptedRule, label="建章立制"),
        cf.exists(Satisfaction, label="群众满意度测评"),
        id="conclusion",
        label="整改落实、建章立制到位",
    )
