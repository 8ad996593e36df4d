"""campaignflow: multi-stage inspection campaigns over an organisation.

Define stages, transitions and gates in plain Python, run them over an org
graph, and read verdicts that explain themselves::

    import campaignflow as cf

    campaign = cf.Campaign("safety-2026", label="安全生产大检查")
    campaign.stages("mobilise", "inspect", "rectify", "closed")
    ...
    run = campaign.start(["plant-1", "plant-2"])
"""

from campaignflow._campaign import Campaign as Campaign
from campaignflow._version import __version__ as __version__
from campaignflow.definition.actors import Actor as Actor
from campaignflow.definition.actors import Allowed as Allowed
from campaignflow.definition.actors import role as role
from campaignflow.definition.context import Context as Context
from campaignflow.definition.gates import all_of as all_of
from campaignflow.definition.gates import any_of as any_of
from campaignflow.definition.gates import approved_by as approved_by
from campaignflow.definition.gates import count_at_least as count_at_least
from campaignflow.definition.gates import coverage as coverage
from campaignflow.definition.gates import every_member_has as every_member_has
from campaignflow.definition.gates import every_pair as every_pair
from campaignflow.definition.gates import exists as exists
from campaignflow.definition.gates import not_ as not_
from campaignflow.definition.gates import not_overdue as not_overdue
from campaignflow.definition.gates import rule as rule
from campaignflow.definition.gates import sum_at_least as sum_at_least
from campaignflow.definition.model import Definition as Definition
from campaignflow.definition.model import Escalation as Escalation
from campaignflow.definition.model import Rework as Rework
from campaignflow.definition.model import Stage as Stage
from campaignflow.definition.model import Transition as Transition
from campaignflow.definition.obligations import Duty as Duty
from campaignflow.definition.obligations import Judgement as Judgement
from campaignflow.definition.obligations import Obligation as Obligation
from campaignflow.definition.obligations import Standing as Standing
from campaignflow.definition.obligations import judge as judge
from campaignflow.definition.ordering import children_done as children_done
from campaignflow.definition.ordering import parent_first as parent_first
from campaignflow.definition.ordering import pilots_first as pilots_first
from campaignflow.definition.ordering import supervised_by_approval as supervised_by_approval
from campaignflow.definition.review import Review as Review
from campaignflow.definition.review import ReviewRecord as ReviewRecord
from campaignflow.definition.rules import Rule as Rule
from campaignflow.definition.sharing import CountsBelow as CountsBelow
from campaignflow.exceptions import ActorError as ActorError
from campaignflow.exceptions import ArgumentError as ArgumentError
from campaignflow.exceptions import CampaignflowError as CampaignflowError
from campaignflow.exceptions import ConcurrentUpdate as ConcurrentUpdate
from campaignflow.exceptions import DefinitionError as DefinitionError
from campaignflow.exceptions import EvidenceError as EvidenceError
from campaignflow.exceptions import GateClosed as GateClosed
from campaignflow.exceptions import HookFailed as HookFailed
from campaignflow.exceptions import InvalidTransition as InvalidTransition
from campaignflow.exceptions import KeyReused as KeyReused
from campaignflow.exceptions import MissingDependency as MissingDependency
from campaignflow.exceptions import OrgError as OrgError
from campaignflow.exceptions import OrgMismatch as OrgMismatch
from campaignflow.exceptions import PermissionDenied as PermissionDenied
from campaignflow.exceptions import StoreError as StoreError
from campaignflow.exceptions import UnknownEvent as UnknownEvent
from campaignflow.exceptions import UnknownStage as UnknownStage
from campaignflow.exceptions import UnknownUnit as UnknownUnit
from campaignflow.exceptions import VerifyError as VerifyError
from campaignflow.org.data import WorkingGroup as WorkingGroup
from campaignflow.org.graph import Org as Org
from campaignflow.org.graph import Person as Person
from campaignflow.report.build import Report as Report
from campaignflow.report.build import build_report as build_report
from campaignflow.run.clock import Clock as Clock
from campaignflow.run.clock import CountingIds as CountingIds
from campaignflow.run.clock import FixedClock as FixedClock
from campaignflow.run.clock import IdSource as IdSource
from campaignflow.run.duties import ObligationReport as ObligationReport
from campaignflow.run.inbox import AwaitingItem as AwaitingItem
from campaignflow.run.inbox import NextAction as NextAction
from campaignflow.run.replay import VerifyReport as VerifyReport
from campaignflow.run.results import BatchResult as BatchResult
from campaignflow.run.results import UnitState as UnitState
from campaignflow.run.retry import retry as retry
from campaignflow.run.reviewing import ReviewResult as ReviewResult
from campaignflow.run.rollup import Blocked as Blocked
from campaignflow.run.rollup import Overdue as Overdue
from campaignflow.run.rollup import Progress as Progress
from campaignflow.run.run import Run as Run
from campaignflow.run.working_groups import WorkingGroupProgress as WorkingGroupProgress
from campaignflow.run.working_groups import working_group_coverage as working_group_coverage
from campaignflow.store import MemoryStore as MemoryStore
from campaignflow.store import Store as Store
from campaignflow.testing.analysis import CheckReport as CheckReport
from campaignflow.testing.analysis import Problem as Problem
from campaignflow.values.findings import Finding as Finding
from campaignflow.values.findings import Status as Status
from campaignflow.values.findings import Verdict as Verdict
from campaignflow.values.findings import fail as fail
from campaignflow.values.findings import ok as ok
from campaignflow.values.records import Kind as Kind
from campaignflow.values.records import Recorded as Recorded
from campaignflow.values.records import Step as Step

__all__ = [
    "Actor",
    "ActorError",
    "Allowed",
    "ArgumentError",
    "AwaitingItem",
    "BatchResult",
    "Blocked",
    "Campaign",
    "CampaignflowError",
    "CheckReport",
    "Clock",
    "ConcurrentUpdate",
    "Context",
    "CountingIds",
    "CountsBelow",
    "Definition",
    "DefinitionError",
    "Duty",
    "Escalation",
    "EvidenceError",
    "Finding",
    "FixedClock",
    "GateClosed",
    "HookFailed",
    "IdSource",
    "InvalidTransition",
    "Judgement",
    "KeyReused",
    "Kind",
    "MemoryStore",
    "MissingDependency",
    "NextAction",
    "Obligation",
    "ObligationReport",
    "Org",
    "OrgError",
    "OrgMismatch",
    "Overdue",
    "PermissionDenied",
    "Person",
    "Problem",
    "Progress",
    "Recorded",
    "Report",
    "Review",
    "ReviewRecord",
    "ReviewResult",
    "Rework",
    "Rule",
    "Run",
    "Stage",
    "Standing",
    "Status",
    "Step",
    "Store",
    "StoreError",
    "Transition",
    "UnitState",
    "UnknownEvent",
    "UnknownStage",
    "UnknownUnit",
    "Verdict",
    "VerifyError",
    "VerifyReport",
    "WorkingGroup",
    "WorkingGroupProgress",
    "__version__",
    "all_of",
    "any_of",
    "approved_by",
    "build_report",
    "children_done",
    "count_at_least",
    "coverage",
    "every_member_has",
    "every_pair",
    "exists",
    "fail",
    "judge",
    "not_",
    "not_overdue",
    "ok",
    "parent_first",
    "pilots_first",
    "retry",
    "role",
    "rule",
    "sum_at_least",
    "supervised_by_approval",
    "working_group_coverage",
]
