"""The kit's own mutation score: every mistake of the table is caught, no correct rule is flagged."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, find, settings
from hypothesis.errors import NoSuchExample

import campaignflow as cf
from campaignflow.testing import NotEquivalent, Scenario, assert_equivalent
from campaignflow.testing import strategies as cst
from campaignflow.testing._equivalent import first_difference
from kit_mutants import CORRECT, ISSUE, MUTANTS

BUDGET = 100  # derandomised examples a mistake must be caught within
TWO_TESTS = settings(
    max_examples=BUDGET,
    derandomize=True,
    database=None,
    deadline=None,
    phases=(Phase.generate,),
    suppress_health_check=list(HealthCheck),
)


def _ids(case: tuple[str, cf.Rule, cf.Rule]) -> str:
    return case[0]


class TestAssertEquivalent:
    @pytest.mark.parametrize("case", MUTANTS, ids=_ids)
    def test_every_mutant_is_caught(self, case: tuple[str, cf.Rule, cf.Rule]) -> None:
        """Each mistake differs from its specification within the budget, and the report says so."""
        _, custom, spec = case
        diff = first_difference(custom, spec, max_examples=BUDGET)
        assert diff is not None
        assert diff.tried <= BUDGET
        with pytest.raises(NotEquivalent) as raised:
            assert_equivalent(custom, spec, max_examples=BUDGET)
        assert raised.value.custom.passed != raised.value.spec.passed
        assert custom.id in str(raised.value)
        assert spec.id in str(raised.value)

    @pytest.mark.parametrize("case", CORRECT, ids=_ids)
    def test_correct_rules_are_never_flagged(self, case: tuple[str, cf.Rule, cf.Rule]) -> None:
        """A rule that agrees with its specification passes, boundaries and generated cases alike."""
        _, custom, spec = case
        assert_equivalent(custom, spec, max_examples=BUDGET)

    def test_the_report_names_the_smallest_case(self) -> None:
        """The vacuous-leader mistake is reported on a unit with fewer than two leaders, no evidence."""
        _, custom, spec = next(c for c in ISSUE if "vacuously" in c[0])
        with pytest.raises(NotEquivalent) as raised:
            assert_equivalent(custom, spec)
        scenario = raised.value.scenario
        assert len(scenario.people["leadership"]) < 2
        assert scenario.evidence == ()
        assert raised.value.custom.passed
        assert "fewer than two people" in str(raised.value)


def _caught(strategy: object, wrong: object) -> bool:
    try:
        find(strategy, wrong, settings=TWO_TESTS)  # type: ignore[arg-type]
    except NoSuchExample:
        return False
    return True


class TestTheHowTosTwoTests:
    @pytest.mark.parametrize("case", ISSUE, ids=_ids)
    def test_for_and_against_catch_each_mistake(self, case: tuple[str, cf.Rule, cf.Rule]) -> None:
        """The how-to's pair of tests (evidence_for passes, evidence_against fails) catch every mistake."""
        _, custom, spec = case

        def accepted_wrongly(sc: Scenario) -> bool:
            return sc.passes(custom)

        def refused_wrongly(sc: Scenario) -> bool:
            return not sc.passes(custom)

        assert _caught(cst.evidence_for(spec), refused_wrongly) or _caught(
            cst.evidence_against(spec), accepted_wrongly
        )
