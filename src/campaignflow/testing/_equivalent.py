"""``assert_equivalent``: a custom rule against its declared specification, in one call."""

from __future__ import annotations

import attrs
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample, Unsatisfiable

from campaignflow.definition.rules import Rule
from campaignflow.exceptions import CampaignflowError
from campaignflow.testing._scenario import Scenario
from campaignflow.testing.strategies import boundaries, evidence_against, evidence_for
from campaignflow.values.findings import Verdict


class NotEquivalent(AssertionError):
    """A custom rule and its specification judged one scenario differently.

    Attributes:
        scenario: the smallest scenario found on which they differ.
        custom: the custom rule's verdict on it.
        spec: the specification's verdict on it.
        tried: how many scenarios were judged before the first difference.
    """

    def __init__(
        self, message: str, *, scenario: Scenario, custom: Verdict, spec: Verdict, tried: int
    ) -> None:
        super().__init__(message)
        self.scenario = scenario
        self.custom = custom
        self.spec = spec
        self.tried = tried


@attrs.frozen(kw_only=True)
class Difference:
    """Where two rules part: the smallest scenario, and how many were tried before the first."""

    scenario: Scenario
    tried: int


def _size(sc: Scenario) -> tuple[int, int, int]:
    return (len(sc.evidence), sum(len(p) for p in sc.people.values()), len(sc.retracted))


def _differs(custom: Rule, spec: Rule, sc: Scenario) -> bool:
    try:
        return sc.passes(custom) != sc.passes(spec)
    except CampaignflowError:  # the run refused the generated evidence: not a case
        return False


def first_difference(custom: Rule, spec: Rule, *, max_examples: int = 100) -> Difference | None:
    """The smallest scenario on which ``custom`` and ``spec`` differ, or ``None``.

    The boundary cases of ``spec`` are judged first, in order; then up to
    ``max_examples`` generated scenarios (derandomised), shrunk by hypothesis.
    """
    cases = boundaries(spec)
    found: list[Scenario] = []
    first = 0
    for i, sc in enumerate(cases, 1):
        if _differs(custom, spec, sc):
            found.append(sc)
            first = first or i
    if found:
        return Difference(scenario=min(found, key=_size), tried=first)
    tried = len(cases)
    calls = [0, 0]  # judged, and judged when the first difference was found

    def differs(sc: Scenario) -> bool:
        calls[0] += 1
        hit = _differs(custom, spec, sc)
        if hit and not calls[1]:
            calls[1] = calls[0]
        return hit

    quiet = settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    try:
        smallest = find(st.one_of(evidence_for(spec), evidence_against(spec)), differs, settings=quiet)
    except (NoSuchExample, Unsatisfiable):
        return None
    return Difference(scenario=smallest, tried=tried + calls[1])


def assert_equivalent(custom: Rule, spec: Rule, *, max_examples: int = 100) -> None:
    """Assert that ``custom`` holds exactly where the declared ``spec`` holds.

    Runs the boundary cases of ``spec`` (:func:`~campaignflow.testing.strategies.boundaries`),
    then ``max_examples`` scenarios generated on both sides of it (derandomised,
    so a failure reproduces). The custom rule is a black box: the scenarios are
    drawn from the specification, over the evidence types it reads.

    Args:
        custom: the rule under test (usually a ``@cf.rule``).
        spec: the declared rule it should agree with.
        max_examples: generated scenarios after the boundary cases.

    Raises:
        NotEquivalent: on the smallest scenario found where they differ, naming
            both rules, both verdicts and the scenario's people and evidence.
    """
    diff = first_difference(custom, spec, max_examples=max_examples)
    if diff is None:
        return
    sc = diff.scenario
    mine, theirs = sc.verdict(custom), sc.verdict(spec)
    lines = [
        (
            f"custom rule {custom.id!r} ({custom.label}) {_word(mine)} where its specification "
            f"{spec.id!r} {_word(theirs)}, after {diff.tried} scenarios; the smallest case:"
        ),
        sc.describe(),
        f"custom {custom.id!r}: {_word(mine)}",
        *_lines(mine),
        f"specification {spec.id!r}: {_word(theirs)}",
        *_lines(theirs),
    ]
    raise NotEquivalent("\n".join(lines), scenario=sc, custom=mine, spec=theirs, tried=diff.tried)


def _word(v: Verdict) -> str:
    return "passes" if v.passed else "fails"


def _lines(v: Verdict) -> list[str]:
    return [
        f"  {'✓' if f.passed else '✗'} {f.label or f.rule}: {f.reason or f.status.value}" for f in v.findings
    ]
