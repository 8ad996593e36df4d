"""Bad values at the public API raise CampaignflowError subclasses, naming where; suggestions are close.

The default profiles run a few dozen cases each; ``HYPOTHESIS_PROFILE=fuzz`` runs
thousands per target (by hand: ``HYPOTHESIS_PROFILE=fuzz pytest tests/test_api_fuzz.py``).
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.org.suggest import distance
from campaignflow.presets import safety
from campaignflow.presets.zhongmou import zhongmou_org

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
UNIT_ROW = st.dictionaries(
    st.sampled_from(["id", "parent", "level", "name", "pilot", "extra"]), JSONISH, max_size=5
)
ANY_ARG = JSONISH | st.text(max_size=300) | st.sampled_from(["s1", "s2", "inspect", "start", "Briefing"])
ACTOR = cf.Actor(id="op", roles={"secretary", "inspector"})
FUZZ = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


class TestOrgLoaders:
    @FUZZ
    @given(st.lists(UNIT_ROW | JSONISH, max_size=5))
    def test_from_dicts_raises_only_org_errors(self, rows: list[Any]) -> None:
        """Any rows at all: an Org or an OrgError, nothing else."""
        with contextlib.suppress(cf.OrgError):
            cf.Org.from_dicts(rows)

    @FUZZ
    @given(JSONISH)
    def test_from_dict_and_from_json_raise_only_org_errors(self, data: Any) -> None:
        """Any parsed document or any text: an Org or an OrgError."""
        for call in (lambda: cf.Org.from_dict(data), lambda: cf.Org.from_json(data)):
            try:
                call()
            except cf.OrgError:
                pass
            except TypeError:  # a plainly wrong Python type (not a mapping, path or str): documented
                assert not isinstance(data, str | dict)

    @FUZZ
    @given(st.text(max_size=200))
    def test_from_csv_raises_only_org_errors(
        self, tmp_path_factory: pytest.TempPathFactory, text: str
    ) -> None:
        """Any CSV text: an Org or an OrgError naming the file."""
        path = tmp_path_factory.mktemp("csv") / "units.csv"
        path.write_text(text, encoding="utf-8")
        message = str(path)
        try:
            cf.Org.from_csv(path)
        except cf.OrgError as exc:
            message = str(exc)
        assert str(path) in message

    @pytest.mark.parametrize("source", ["", "   ", ".", "/"])
    def test_from_json_of_no_document(self, source: str) -> None:
        """An empty string or a directory is an OrgError, not an OSError."""
        with pytest.raises(cf.OrgError):
            cf.Org.from_json(source)

    def test_from_dicts_names_the_row(self) -> None:
        """A bad row is named by its 1-based position."""
        with pytest.raises(cf.OrgError, match="row 2: each unit must be a mapping"):
            cf.Org.from_dicts([{"id": "a", "level": "unit"}, None])  # type: ignore[list-item]
        with pytest.raises(cf.OrgError, match="row 3: empty unit id"):
            cf.Org.from_dicts([{"id": "a"}, {"id": "b", "parent": "a"}, {"id": " "}])

    def test_an_oversize_id_is_refused_at_load(self, tmp_path: Path) -> None:
        """An id wider than the stores' columns is an OrgError naming it and the limit, before any store."""
        long = "v" * 201
        with pytest.raises(
            cf.OrgError, match=r"row 2: unit id 'v+'\.\.\. is 201 characters long: keep ids to 200"
        ):
            cf.Org.from_dicts([{"id": "a"}, {"id": long, "parent": "a"}])
        path = tmp_path / "units.csv"
        path.write_text(f"id,parent,level,name\na,,unit,A\n{long},a,unit,B\n", encoding="utf-8")
        with pytest.raises(cf.OrgError, match=f"{path}:3: unit id"):
            cf.Org.from_csv(path)
        assert cf.Org.from_dicts([{"id": "v" * 200}]).root() == "v" * 200


class TestDidYouMean:
    def test_every_one_letter_typo_of_the_demo_ids_suggests_the_closest_ids(self) -> None:
        """A typo one edit from an id suggests the closest ids first: that one unless more than three tie."""
        org = zhongmou_org()
        ids = sorted(org)
        missed = []
        for unit in ids[:: max(1, len(ids) // 80)]:
            typos = {unit[:-1] + ("x" if unit[-1] != "x" else "y"), unit[1:]}
            if len(unit) > 2:
                typos.add(unit[:-2] + unit[-1] + unit[-2])
            for typo in typos - set(org):
                found = org.suggest(typo)
                ties = [u for u in ids if distance(typo, u) == 1]
                far = [distance(typo, u) for u in found]
                ranked = bool(found) and far[0] == 1 and far == sorted(far)
                if not ranked or (len(ties) <= 3 and unit not in found):  # three suggestions at most
                    missed.append((typo, unit, found))
        assert missed == []

    def test_suggestions_are_ranked_by_edit_distance(self) -> None:
        """The id one edit away comes before ids two edits away."""
        org = cf.Org.from_dicts([{"id": i} for i in ("v-0117", "v-0171", "v-0118", "v-1117")])
        with pytest.raises(cf.UnknownUnit) as info:
            org.parent("v-0711")
        assert info.value.suggestions[0] == "v-0171"


def _run() -> cf.Run:
    clock = cf.FixedClock(start=datetime(2014, 3, 1, tzinfo=UTC))
    return safety.campaign().start(["s1", "s2"], clock=clock)


class TestRunMethods:
    def test_the_reported_cases(self) -> None:
        """The builtins the issue found are CampaignflowErrors now (a TypeError for a non-date ``when``)."""
        run = _run()
        with pytest.raises(cf.UnknownStage):
            run.reached("s1", "nope")
        with pytest.raises(cf.EvidenceError, match="'Tagged' is not an evidence type"):
            run.evidence("s1", "Tagged")  # type: ignore[arg-type]
        assert run.evidence("s1", "Briefing") == ()  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="when must be a datetime"):
            run.blocked_on("s1", None)  # type: ignore[arg-type]

    @FUZZ
    @given(
        st.sampled_from(["state", "history", "reached", "check", "evidence", "fire", "record", "progress"]),
        ANY_ARG,
        ANY_ARG,
    )
    def test_bad_values_raise_campaignflow_errors(self, method: str, a: Any, b: Any) -> None:
        """Any run arguments: a result, a CampaignflowError, or a TypeError for a wrong type."""
        run = _run()
        calls = {
            "state": lambda: run.state(a),
            "history": lambda: run.history(a),
            "reached": lambda: run.reached(a, b),
            "check": lambda: run.check(a, b),
            "evidence": lambda: run.evidence(a, b),
            "fire": lambda: run.fire(a, b, by=ACTOR),
            "record": lambda: run.record(a, b, by=ACTOR),
            "progress": lambda: run.progress(a),
        }
        try:
            calls[method]()
        except cf.CampaignflowError:
            pass
        except TypeError:  # only for an argument of a plainly wrong Python type
            assert not (isinstance(a, str) and isinstance(b, str)) or method == "record"
