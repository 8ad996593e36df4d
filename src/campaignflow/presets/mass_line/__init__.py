"""The 党的群众路线教育实践活动 (mass line education and practice campaign), 2014.

The seeds' campaign, complete: stages with Chinese labels, evidence types, the
五个不开会 gate as five rules, the criticism rule, rework with escalation to the
曝光台, parent-first meetings, children-done completion, ledger items that
open at any stage and must all be closed before the close, and the duties that
recur or cross levels: weekly contact visits (县领导每周深入乡村) and people's diaries
(民情日记) as obligations, study sessions that count one level down (学习上延一级),
人手一册 and 住村联户 一联五 as coverage rules.

Example::

    from campaignflow.presets import mass_line

    campaign = mass_line.campaign()
    run = campaign.start(org)
    run.record("zhongmou", mass_line.MobilisationMeeting(chaired_by="p-000001", attendees=300), by=office)
"""

from campaignflow.presets.mass_line.campaign import campaign as campaign
from campaignflow.presets.mass_line.evidence import EVIDENCE as EVIDENCE
from campaignflow.presets.mass_line.evidence import FOUR_WINDS_LABELS as FOUR_WINDS_LABELS
from campaignflow.presets.mass_line.evidence import HANDBOOKS as HANDBOOKS
from campaignflow.presets.mass_line.evidence import AdoptedRule as AdoptedRule
from campaignflow.presets.mass_line.evidence import Criticism as Criticism
from campaignflow.presets.mass_line.evidence import DiaryEntry as DiaryEntry
from campaignflow.presets.mass_line.evidence import FourWinds as FourWinds
from campaignflow.presets.mass_line.evidence import HouseholdLink as HouseholdLink
from campaignflow.presets.mass_line.evidence import LedgerClosure as LedgerClosure
from campaignflow.presets.mass_line.evidence import LedgerItem as LedgerItem
from campaignflow.presets.mass_line.evidence import MaterialsIssued as MaterialsIssued
from campaignflow.presets.mass_line.evidence import MemberNotes as MemberNotes
from campaignflow.presets.mass_line.evidence import MobilisationMeeting as MobilisationMeeting
from campaignflow.presets.mass_line.evidence import Opinion as Opinion
from campaignflow.presets.mass_line.evidence import Problem as Problem
from campaignflow.presets.mass_line.evidence import PublicEvaluation as PublicEvaluation
from campaignflow.presets.mass_line.evidence import Satisfaction as Satisfaction
from campaignflow.presets.mass_line.evidence import SelfInspection as SelfInspection
from campaignflow.presets.mass_line.evidence import Source as Source
from campaignflow.presets.mass_line.evidence import StudySession as StudySession
from campaignflow.presets.mass_line.evidence import SupervisionApproval as SupervisionApproval
from campaignflow.presets.mass_line.evidence import Talk as Talk
from campaignflow.presets.mass_line.evidence import Visit as Visit
from campaignflow.presets.mass_line.lookback import CHECK_LABELS as LOOK_BACK_CHECKS
from campaignflow.presets.mass_line.lookback import REVIEW as REVIEW
from campaignflow.presets.mass_line.lookback import LookBack as LookBack
from campaignflow.presets.mass_line.lookback import LookBackCheck as LookBackCheck
from campaignflow.presets.mass_line.lookback import look_back as look_back
from campaignflow.presets.mass_line.rules import Thresholds as Thresholds

__all__ = [
    "EVIDENCE",
    "FOUR_WINDS_LABELS",
    "HANDBOOKS",
    "LOOK_BACK_CHECKS",
    "REVIEW",
    "AdoptedRule",
    "Criticism",
    "DiaryEntry",
    "FourWinds",
    "HouseholdLink",
    "LedgerClosure",
    "LedgerItem",
    "LookBack",
    "LookBackCheck",
    "MaterialsIssued",
    "MemberNotes",
    "MobilisationMeeting",
    "Opinion",
    "Problem",
    "PublicEvaluation",
    "Satisfaction",
    "SelfInspection",
    "Source",
    "StudySession",
    "SupervisionApproval",
    "Talk",
    "Thresholds",
    "Visit",
    "campaign",
    "look_back",
]
