"""Synthetic national-shaped orgs for demos and benchmarks."""

from __future__ import annotations

from collections import Counter

from campaignflow.presets.scaled import scaled_org


class TestScaledOrg:
    def test_shape_follows_the_national_proportions(self) -> None:
        """A fraction of the national org keeps its levels and proportions, and every unit is supervised."""
        org = scaled_org("national", fraction=0.001)
        levels = Counter(org.level(u) for u in org)
        assert levels == {"nation": 1, "county": 3, "township": 39, "village": 600}
        assert all(org.people(u, "principal") for u in org)
        assert all(org.supervisors(u) for u in org)
