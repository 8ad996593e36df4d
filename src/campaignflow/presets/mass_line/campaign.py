"""The 党的群众路线教育实践活动 campaign, as run at county level and below."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import campaignflow as cf
from campaignflow.definition.model import EscalateFn
from campaignflow.presets.mass_line import rules
from campaignflow.presets.mass_line.evidence import (
    EVIDENCE,
    Criticism,
    DiaryEntry,
    MemberNotes,
    MobilisationMeeting,
    SelfInspection,
    StudySession,
    SupervisionApproval,
    Talk,
    Visit,
)
from campaignflow.presets.mass_line.lookback import REVIEW, LookBack, look_back_checks
from campaignflow.presets.mass_line.rules import Thresholds

LEADS = cf.role("principal", "office")  # the unit's principal leader, or the campaign office
SUPERVISES = cf.role("supervisor", "office")  # who may send a unit back (返工、补课)


STUDY_REDO = (StudySession, MemberNotes)
"""What a send-back to 学习教育、听取意见 voids (补课: make up the lessons)."""
EXAMINE_REDO = (Talk, SelfInspection, SupervisionApproval, Criticism)
"""What a send-back to 查摆问题、开展批评 voids (返工: hold the meeting again, with new criticisms)."""

STARTS = datetime(2014, 2, 24, tzinfo=UTC)
"""A Monday: the second batch's start in the demo; weekly duties count from here."""


def campaign(
    thresholds: Thresholds | None = None,
    *,
    escalate: EscalateFn | None = None,
    starts: datetime = STARTS,
) -> cf.Campaign:
    """Build the mass-line campaign.

    Stages (English ids, Chinese labels): ``mobilise`` 动员部署 → ``study``
    学习教育、听取意见 → ``examine`` 查摆问题、开展批评 (``examine.prepare`` 会前准备,
    ``examine.meeting`` 专题民主生活会, ``examine.evaluation`` 群众评议) → ``rectify``
    整改落实、建章立制 → ``close`` 总结.

    Args:
        thresholds: what "up to standard" means (defaults: :class:`Thresholds`).
        escalate: called once when a unit is sent back past the rework limit
            (the 曝光台); every escalation is also listed in ``run.escalations``.
        starts: when weekly duties begin (a Monday, aware).

    Duties that recur or cross levels (seed 002, 一上一下):

    - ``contact_visits``: each leadership member visits each contact point every
      week, with ``thresholds.visit_grace`` days' grace (县领导每周深入乡村); the
      meeting waits while a unit's leaders are overdue (会前到联系点蹲点调研).
    - ``people_diary``: each principal keeps a weekly people's diary (民情日记).
    - Study sessions count for the principals of the level below they list
      (学习上延一级), in the stage-1 attendance rule.
    """
    t = thresholds or Thresholds()
    c = cf.Campaign("mass-line-2014", label="党的群众路线教育实践活动")
    c.stage("mobilise", label="动员部署")
    c.stage("study", label="学习教育、听取意见")
    c.stage(
        "examine",
        label="查摆问题、开展批评",
        substages=(
            cf.Stage(id="prepare", label="会前准备"),
            cf.Stage(id="meeting", label="专题民主生活会"),
            cf.Stage(id="evaluation", label="群众评议"),
        ),
    )
    c.stage("rectify", label="整改落实、建章立制")
    c.stage("close", label="总结")
    c.evidence(*EVIDENCE, LookBack)
    visits = c.obligation(
        "contact_visits",
        role="leadership",
        via="contacts",
        every=timedelta(weeks=1),
        grace=timedelta(days=t.visit_grace),
        evidence=Visit,
        by="leader",
        starts=starts,
        label="县领导每周深入联系点",
    )
    c.obligation(
        "people_diary",
        role="principal",
        via="own",
        every=timedelta(weeks=1),
        grace=timedelta(days=t.visit_grace),
        evidence=DiaryEntry,
        by="cadre",
        starts=starts,
        label="民情日记",
    )
    c.counts_below(StudySession, people="attendees", roles=("principal",))
    c.transition(
        "mobilise",
        "mobilise",
        "study",
        gate=cf.exists(MobilisationMeeting, id="mobilised", label="召开动员会"),
        order=cf.parent_first(),
        allowed=LEADS,
        label="动员部署",
    )
    # 学习教育、听取意见 is left only up to standard (篇目、时间、形式, "不合格的打回返工"):
    # the same requirements as 五个不开会 clause 1.
    c.transition(
        "finish_study",
        "study",
        "examine",
        gate=rules.stage1_up_to_standard(t),
        allowed=LEADS,
        label="转入查摆问题、开展批评环节",
    )
    c.transition(
        "hold_meeting",
        "examine.prepare",
        "examine.meeting",
        gate=rules.meeting_ready(t, visits),
        order=cf.parent_first(),
        allowed=LEADS,
        label="召开专题民主生活会",
    )
    c.transition(
        "evaluate",
        "examine.meeting",
        "examine.evaluation",
        gate=rules.criticism(t),
        allowed=LEADS,
        label="开展群众评议",
    )
    c.transition(
        "start_rectify",
        "examine.evaluation",
        "rectify",
        gate=rules.public_evaluation(),
        allowed=LEADS,
        label="转入整改落实、建章立制环节",
    )
    c.transition(
        "conclude",
        "rectify",
        "close",
        gate=rules.conclusion(t),
        order=cf.children_done("close"),
        allowed=LEADS,
        label="总结",
    )
    # 回头看 reopens stage 1 (补课): the lessons and notes are made up again, the
    # opinions already heard still count. A meeting sent back (返工) is held again:
    # new talks, a new draft approved again, new criticisms.
    c.rework("study", limit=t.rework_limit, escalate=escalate, allowed=SUPERVISES, redo=STUDY_REDO)
    c.rework("examine", limit=t.rework_limit, escalate=escalate, allowed=SUPERVISES, redo=EXAMINE_REDO)
    c.review(REVIEW, reopens="study", checks=look_back_checks(t), label="回头看", allowed=SUPERVISES)
    return c
