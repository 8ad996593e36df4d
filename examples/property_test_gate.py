"""Property-test a custom gate against its declared specification with the testing kit.

Run: python examples/property_test_gate.py   (or collect it with pytest)

The hand-written rule once passed a unit with no leaders, or one: "every pair
has talked" held vacuously. The specification fails there (fewer than two
people: add them to the org), and ``assert_equivalent`` tries groups of 0, 1 and
2 leaders among its boundary cases, so that mistake can no longer pass.
"""

from __future__ import annotations

import attrs
from hypothesis import given, settings

import campaignflow as cf
from campaignflow.testing import Scenario, assert_equivalent
from campaignflow.testing import strategies as cst


@attrs.frozen
class Talk:
    """A heart-to-heart talk (谈心交心) between two leaders."""

    a: str
    b: str


@cf.rule("talks", label="谈心交心深入", reads=(Talk,), roles=("leadership",))
def talks(ctx: cf.Context) -> cf.Finding:
    """Hand-written: every pair of leaders has talked (and there is a pair to talk)."""
    leaders = ctx.people("leadership")
    if len(leaders) < 2:
        return cf.fail(f"{len(leaders)} leaders: a talk needs two; add them to the org")
    done = {frozenset((t.a, t.b)) for t in ctx.evidence(Talk)}
    missing = [
        (a, b) for i, a in enumerate(leaders) for b in leaders[i + 1 :] if frozenset((a, b)) not in done
    ]
    return cf.fail(f"{len(missing)} pairs missing") if missing else cf.ok()


SPEC = cf.every_pair(Talk, among="leadership")


def test_agrees_with_the_spec() -> None:
    """The custom rule holds exactly where the specification holds: boundary cases, then 100 more."""
    assert_equivalent(talks, SPEC, max_examples=100)


@settings(max_examples=50, database=None, derandomize=True)
@given(cst.evidence_for(SPEC))
def test_accepts_what_the_spec_accepts(scenario: Scenario) -> None:
    """Whenever every pair has talked, the custom rule passes."""
    assert scenario.passes(talks)


@settings(max_examples=50, database=None, derandomize=True)
@given(cst.evidence_against(SPEC))
def test_refuses_what_the_spec_refuses(scenario: Scenario) -> None:
    """Whenever a pair is missing, or there is no pair at all, the custom rule fails."""
    assert not scenario.passes(talks)


if __name__ == "__main__":
    test_agrees_with_the_spec()
    test_accepts_what_the_spec_accepts()
    test_refuses_what_the_spec_refuses()
    print("the custom gate agrees with its specification")
