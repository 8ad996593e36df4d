"""Property-test a custom gate against its declared specification with the testing kit.

Run: python examples/property_test_gate.py   (or collect it with pytest)
"""

from __future__ import annotations

import attrs
from hypothesis import given, settings

import campaignflow as cf
from campaignflow.testing import Scenario
from campaignflow.testing import strategies as cst


@attrs.frozen
class Talk:
    """A heart-to-heart talk (谈心交心) between two leaders."""

    a: str
    b: str


@cf.rule("talks", label="谈心交心深入", reads=(Talk,), roles=("leadership",))
def talks(ctx: cf.Context) -> cf.Finding:
    """Hand-written: every pair of leaders has talked."""
    leaders = ctx.people("leadership")
    done = {frozenset((t.a, t.b)) for t in ctx.evidence(Talk)}
    missing = [
        (a, b) for i, a in enumerate(leaders) for b in leaders[i + 1 :] if frozenset((a, b)) not in done
    ]
    return cf.fail(f"{len(missing)} pairs missing") if missing else cf.ok()


SPEC = cf.every_pair(Talk, among="leadership")


@settings(max_examples=50, database=None)
@given(cst.evidence_for(SPEC))
def test_accepts_what_the_spec_accepts(scenario: Scenario) -> None:
    """Whenever every pair has talked, the custom rule passes."""
    assert scenario.passes(talks)


@settings(max_examples=50, database=None)
@given(cst.evidence_against(SPEC))
def test_refuses_what_the_spec_refuses(scenario: Scenario) -> None:
    """Whenever one pair is missing, the custom rule fails."""
    assert not scenario.passes(talks)


if __name__ == "__main__":
    test_accepts_what_the_spec_accepts()
    test_refuses_what_the_spec_refuses()
    print("the custom gate agrees with its specification")
