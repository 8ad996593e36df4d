"""The testing kit's mutation score: how many realistic mistakes it catches, and how fast.

Usage:
    python benchmarks/mutation.py [--max-examples 100]

For each mistake of ``tests/kit_mutants.py`` (the fifteen of issue 25, then ``>``
for ``>=`` on every primitive, the wrong unit of a coverage rule, an ``among``
group ignored) it runs what ``assert_equivalent`` runs (the boundary cases, then
derandomised generated scenarios) and prints the scenarios judged up to the first
difference; then the how-to's two tests (``@given(evidence_for(spec))`` /
``@given(evidence_against(spec))``), derandomised, with the examples they took.
The correct rules must never be flagged.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import campaignflow as cf
from campaignflow.testing import Scenario
from campaignflow.testing import strategies as cst
from campaignflow.testing._equivalent import first_difference
from kit_mutants import CORRECT, MUTANTS


def given_style(custom: cf.Rule, spec: cf.Rule, budget: int) -> str | None:
    """Which of the two how-to tests fails first, and at which example (``None``: both pass)."""
    quiet = settings(
        max_examples=budget,
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    tests: list[tuple[str, st.SearchStrategy[Scenario], Callable[[Scenario], bool]]] = [
        ("for", cst.evidence_for(spec), lambda sc: not sc.passes(custom)),
        ("against", cst.evidence_against(spec), lambda sc: sc.passes(custom)),
    ]
    for side, strategy, wrong in tests:
        count = [0]

        def counted(
            sc: Scenario, wrong: Callable[[Scenario], bool] = wrong, count: list[int] = count
        ) -> bool:
            count[0] += 1
            return wrong(sc)

        try:
            find(strategy, counted, settings=quiet)
        except NoSuchExample:
            continue
        return f"{side} #{count[0]}"
    return None


def main() -> None:
    """Print one line per rule, then the score."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--max-examples", type=int, default=100)
    budget = parser.parse_args().max_examples
    caught = caught_given = 0
    print(f"{'rule':<58} {'assert_equivalent':>18} {'for/against tests':>18}")
    for name, custom, spec in MUTANTS:
        diff = first_difference(custom, spec, max_examples=budget)
        two = given_style(custom, spec, budget)
        caught += diff is not None
        caught_given += two is not None
        shown = f"{diff.tried}" if diff else "missed"
        print(f"{name:<58} {shown:>18} {two or 'missed':>18}")
    flagged = [name for name, custom, spec in CORRECT if first_difference(custom, spec, max_examples=budget)]
    total = len(MUTANTS)
    print()
    print(f"mutation score, assert_equivalent: {caught}/{total} caught within {budget} derandomised examples")
    print(f"mutation score, the how-to's two tests: {caught_given}/{total}")
    print(f"correct rules flagged: {len(flagged)}/{len(CORRECT)} {flagged or ''}".rstrip())


if __name__ == "__main__":
    main()
