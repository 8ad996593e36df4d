"""回头看: the look-back review of stage 1, which can reopen it (补课).

Gongcun (seed 004) checked four things after stage 1: 学习教育是否扎实, 听取意见是否广泛,
专项行动是否收到成效, 惠民实事是否开展落实. :func:`look_back_checks` declares them as
rules for ``campaign.review("look_back", ...)``; ``run.review(unit, "look_back",
by=...)`` judges them and reopens study when one fails, holding the unit there
until it passes. :func:`look_back` records a review decided by people instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

import attrs

import campaignflow as cf
from campaignflow.presets.mass_line.evidence import LedgerClosure, LedgerItem
from campaignflow.presets.mass_line.rules import Thresholds, opinions_rule, study_rules

REVIEW = "look_back"
"""The name of the preset's 回头看 review."""

CHECK_LABELS = ("学习教育是否扎实", "听取意见是否广泛", "专项行动是否收到成效", "惠民实事是否开展落实")
"""宫村镇's four look-back checks, in the seed's words."""


def _accepted(closure: LedgerClosure) -> bool:
    return closure.accepted


_accepted.label = "群众认可"  # type: ignore[attr-defined]


def _livelihood(item: LedgerItem) -> bool:
    return item.ledger == "民生"


_livelihood.label = "民生台账"  # type: ignore[attr-defined]


def look_back_checks(t: Thresholds) -> dict[str, cf.Rule]:
    """The four checks of 宫村镇's 回头看, each a declared rule.

    学习教育是否扎实 and 听取意见是否广泛 are the stage-1 standards again; 专项行动
    是否收到成效 needs a rectified item the public accepted (销号且群众认可); 惠民实事
    是否开展落实 needs an item on the livelihood ledger (民生台账).
    """
    return {
        CHECK_LABELS[0]: cf.all_of(*study_rules(t), id="look_back:study", label=CHECK_LABELS[0]),
        CHECK_LABELS[1]: opinions_rule(t),
        CHECK_LABELS[2]: cf.exists(
            LedgerClosure, where=_accepted, id="look_back:actions", label="专项整治销号且群众认可"
        ),
        CHECK_LABELS[3]: cf.exists(
            LedgerItem, where=_livelihood, id="look_back:services", label="民生实事列入台账"
        ),
    }


class LookBackCheck(StrEnum):
    """Gongcun's four look-back checks (四看)."""

    STUDY = "study"  # 看学习教育是否扎实
    OPINIONS = "opinions"  # 看听取意见是否广泛
    ACTIONS = "actions"  # 看专项行动是否到位
    SERVICES = "services"  # 看惠民实事是否办好


LOOK_BACK_LABELS = {
    LookBackCheck.STUDY: "学习教育是否扎实",
    LookBackCheck.OPINIONS: "听取意见是否广泛",
    LookBackCheck.ACTIONS: "专项行动是否到位",
    LookBackCheck.SERVICES: "惠民实事是否办好",
}


def _checks(values: Iterable[str]) -> tuple[LookBackCheck, ...]:
    return tuple(LookBackCheck(v) for v in values)


@attrs.frozen(kw_only=True)
class LookBack:
    """The outcome of a look-back review: the checks that failed (none: it passed)."""

    failed: tuple[LookBackCheck, ...] = attrs.field(default=(), converter=_checks)
    note: str = ""


def look_back(
    run: cf.Run,
    unit: str,
    *,
    failed: Iterable[LookBackCheck | str] = (),
    by: cf.Actor,
    note: str = "",
) -> cf.Step:
    """Record a 回头看 decided by people (``failed``); if a check failed, send it back to study.

    The judged 回头看 is ``run.review(unit, REVIEW, by=...)``: it judges the four
    checks itself and holds the unit in study until the failed ones pass again.

    Returns the send-back step when the unit was reopened, else the record step.
    Sending back needs someone above the unit with the ``supervisor`` or
    ``office`` role, and counts toward the rework limit (and the 曝光台).
    """
    review = LookBack(failed=tuple(str(f) for f in failed), note=note)
    step = run.record(unit, review, by=by)
    if not review.failed:
        return step
    labels = "、".join(LOOK_BACK_LABELS[c] for c in review.failed)
    return run.send_back(unit, "study", reason=f"回头看: {labels} 未达标, 补课", by=by)
