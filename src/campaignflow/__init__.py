"""campaignflow: multi-stage inspection campaigns over an organisation.

Define stages, transitions and gates in plain Python, run them over an org
graph, and read verdicts that explain themselves::

    import campaignflow as cf

    campaign = cf.Campaign("safety-2026", label="安全生产大检查")
    campaign.stages("mobilise", "inspect", "rectify", "closed")
    ...
    run = campaign.start(["plant-1", "plant-2"])
"""

from campaignflow._actors import Actor as Actor
from campaignflow._actors import Allowed as Allowed
from campaignflow._actors import role as role
from campaignflow._analysis import CheckReport as CheckReport
from campaignflow._analysis import Problem as Problem
from campaignflow._campaign import Campaign as Campaign
from campaignflow._clock import Clock as Clock
from campaignflow._clock import CountingIds as CountingIds
from campaignflow._clock import FixedClock as FixedClock
from campaignflow._clock import IdSource as IdSource
from campaignflow._context import Context as Context
from campaignflow._definition import Definition as Definition
from campaignflow._definition import Escalation as Escalation
from campaignflow._definition import Rework as Rework
from campaignflow._definition import Stage as Stage
from campaignflow._definition import Transition as Transition
from campaignflow._findings import Finding as Finding
from campaignflow._findings import Status as Status
from campaignflow._findings import Verdict as Verdict
from campaignflow._findings import fail as fail
from campaignflow._findings import ok as ok
from campaignflow._gates import all_of as all_of
from campaignflow._gates import any_of as any_of
from campaignflow._gates import approved_by as approved_by
from campaignflow._gates import count_at_least as count_at_least
from campaignflow._gates import coverage as coverage
from campaignflow._gates import every_member_has as every_member_has
from campaignflow._gates import every_pair as every_pair
from campaignflow._gates import exists as exists
from campaignflow._gates import not_ as not_
from campaignflow._gates import not_overdue as not_overdue
from campaignflow._gates import rule as rule
from campaignflow._gates import sum_at_least as sum_at_least
from campaignflow._obligation_report import ObligationReport as ObligationReport
from campaignflow._obligations import Duty as Duty
from campaignflow._obligations import Judgement as Judgement
from campaignflow._obligations import Obligation as Obligation
from campaignflow._obligations import Standing as Standing
from campaignflow._obligations import judge as judge
from campaignflow._ordering import children_done as children_done
from campaignflow._ordering import parent_first as parent_first
from campaignflow._ordering import pilots_first as pilots_first
from campaignflow._ordering import supervised_by_approval as supervised_by_approval
from campaignflow._org import Org as Org
from campaignflow._org import Person as Person
from campaignflow._org_data import WorkingGroup as WorkingGroup
from campaignflow._progress import Blocked as Blocked
from campaignflow._progress import Progress as Progress
from campaignflow._records import Kind as Kind
from campaignflow._records import Recorded as Recorded
from campaignflow._records import Step as Step
from campaignflow._replay import VerifyReport as VerifyReport
from campaignflow._report import Report as Report
from campaignflow._results import BatchResult as BatchResult
from campaignflow._results import UnitState as UnitState
from campaignflow._retry import retry as retry
from campaignflow._review import Review as Review
from campaignflow._review import ReviewRecord as ReviewRecord
from campaignflow._reviewing import ReviewResult as ReviewResult
from campaignflow._rules import Rule as Rule
from campaignflow._run import Run as Run
from campaignflow._sharing import CountsBelow as CountsBelow
from campaignflow._version import __version__ as __version__
from campaignflow._working_groups import WorkingGroupProgress as WorkingGroupProgress
from campaignflow._working_groups import working_group_coverage as working_group_coverage
from campaignflow.exceptions import ActorError as ActorError
from campaignflow.exceptions import CampaignflowError as CampaignflowError
from campaignflow.exceptions import ConcurrentUpdate as ConcurrentUpdate
from campaignflow.exceptions import DefinitionError as DefinitionError
from campaignflow.exceptions import EvidenceError as EvidenceError
from campaignflow.exceptions import GateClosed as GateClosed
from campaignflow.exceptions import InvalidTransition as InvalidTransition
from campaignflow.exceptions import OrgError as OrgError
from campaignflow.exceptions import PermissionDenied as PermissionDenied
from campaignflow.exceptions import StoreError as StoreError
from campaignflow.exceptions import UnknownEvent as UnknownEvent
from campaignflow.exceptions import UnknownStage as UnknownStage
from campaignflow.exceptions import UnknownUnit as UnknownUnit
from campaignflow.exceptions import VerifyError as VerifyError
from campaignflow.store import MemoryStore as MemoryStore
from campaignflow.store import Store as Store

__all__ = [
    "Actor",
    "ActorError",
    "Allowed",
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
    "IdSource",
    "InvalidTransition",
    "Judgement",
    "Kind",
    "MemoryStore",
    "Obligation",
    "ObligationReport",
    "Org",
    "OrgError",
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
