"""``run.review(unit, name, by=actor)``: judge a look-back review and reopen what fails.

The review's checks are judged now. A passed review records a
:class:`~campaignflow.ReviewRecord` and moves nothing; a failed one records it and
sends the unit back to the reviewed stage in one write (counted like any
send-back, logged with the failed checks in the step's verdict), and the stage
then holds the unit until the failed checks pass again (see ``_review``).
"""

from __future__ import annotations

import attrs

from campaignflow.definition.actors import Actor
from campaignflow.definition.context import Context
from campaignflow.definition.review import ReviewRecord, judge_checks
from campaignflow.exceptions import UnknownEvent
from campaignflow.run.authz import require_above, require_actor
from campaignflow.run.evidence import EvidenceVerbs
from campaignflow.run.sendback import SendBackVerbs
from campaignflow.values.findings import Finding, Verdict
from campaignflow.values.records import Step


@attrs.frozen(kw_only=True)
class ReviewResult:
    """What a review found and did.

    Attributes:
        unit: the unit reviewed.
        review: the review's name.
        passed: True when every check passed.
        checks: each check's label and finding, in declaration order.
        verdict: the review as a verdict (``explain()`` for a clerk).
        step: the step written: the record of a passed review, the send-back of a failed one.
    """

    unit: str
    review: str
    passed: bool
    checks: tuple[tuple[str, Finding], ...]
    verdict: Verdict
    step: Step

    @property
    def failed(self) -> tuple[str, ...]:
        """The labels of the failed checks."""
        return tuple(label for label, f in self.checks if not f.passed)

    def explain(self) -> str:
        """The review's verdict as text."""
        return self.verdict.explain()


class ReviewVerbs(EvidenceVerbs, SendBackVerbs):
    """Look-back reviews (``Run.review``): judge the checks, reopen the stage when one fails."""

    def review(self, unit: str, name: str, *, by: Actor) -> ReviewResult:
        """Judge look-back review ``name`` for ``unit`` (回头看); a failed one reopens its stage.

        See :meth:`Campaign.review`. The unit then cannot leave the reopened stage
        until every failed check passes again.

        Raises:
            UnknownUnit: the unit is not in the org.
            UnknownEvent: the campaign declares no such review.
            PermissionDenied: the actor is not above the unit or lacks the review's roles.
            InvalidTransition: the review failed and the unit is not past the reviewed stage.
        """
        definition = self.definition
        review = definition.reviews.get(name)
        stage = self.stage_of(unit)  # raises UnknownUnit first
        if review is None:
            raise UnknownEvent(f"review:{name}", campaign=definition.id, known=tuple(definition.reviews))
        event = f"review:{name}"
        actor = require_actor(by, unit=unit, action=event)
        allowed = review.allowed or definition.reworks[review.reopens].allowed
        try:
            require_above(self.org, actor, unit=unit, action=event, allowed=allowed)
        except Exception as exc:
            self._deny(unit, actor, event, exc)
            raise
        now = self.clock()
        ctx = Context(unit=unit, stage=stage, event=event, actor=actor, now=now, run=self)
        root = judge_checks(review, ctx)
        verdict = Verdict(
            unit=unit, event=event, stage=stage, at=now.isoformat(), root=root, labels=self.labels
        )
        checks = tuple((f.label, f) for f in root.children)
        outcome = ReviewRecord(
            review=name, passed=root.passed, failed=tuple(lb for lb, f in checks if not f.passed)
        )
        if root.passed:
            step = self.record(unit, outcome, by=actor)
        else:
            rec = self._unit(unit)
            reason = f"{review.label}: {'、'.join(outcome.failed)} 未通过, 重新开展"
            step = self._send_back(
                unit,
                rec,
                review.reopens,
                reason=reason,
                actor=actor,
                event_name=event,
                verdict=verdict,
                record=outcome,
            )
        return ReviewResult(
            unit=unit, review=name, passed=root.passed, checks=checks, verdict=verdict, step=step
        )
