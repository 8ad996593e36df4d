"""回头看: the look-back review of stage 1, which can reopen it (补课).

Gongcun (seed 004) checked four things after stage 1: was study solid, were
opinions heard widely, were the special actions carried out, were the promised
services delivered. A failed check sends the unit back to study.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

import attrs

import campaignflow as cf


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
    """Record a 回头看 review of ``unit``; if a check failed, send it back to study.

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
