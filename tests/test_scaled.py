"""Synthetic national-shaped orgs for demos and benchmarks."""

from __future__ import annotations

from collections import Counter

import pytest

import campaignflow as cf
from campaignflow.presets.scaled import scaled_org


class TestScaledOrg:
    def test_shape_follows_the_national_proportions(self) -> None:
        """A fraction of the national org keeps its levels and proportions, and every unit is supervised."""
        org = scaled_org("national", fraction=0.001)
        levels = Counter(org.level(u) for u in org)
        assert levels == {"nation": 1, "county": 3, "township": 39, "village": 600}
        assert all(org.people(u, "principal") for u in org)
        assert all(org.supervisors(u) for u in org)

    def test_an_unknown_scale_names_the_ones_there_are(self) -> None:
        with pytest.raises(cf.ArgumentError, match="'province' or 'national'"):
            scaled_org("county")

    @pytest.mark.parametrize("fraction", [0, -0.5, 1.5])
    def test_a_fraction_outside_zero_to_one_is_refused(self, fraction: float) -> None:
        with pytest.raises(cf.ArgumentError, match=r"in \(0, 1\]"):
            scaled_org("national", fraction=fraction)

    def test_a_fraction_not_a_number_is_a_type_error(self) -> None:
        with pytest.raises(TypeError, match="fraction"):
            scaled_org("national", fraction="0.1")  # type: ignore[arg-type]
