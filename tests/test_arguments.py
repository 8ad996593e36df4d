"""Bad arguments to the newer run methods are named errors, never a raw AttributeError or a silent result."""

from __future__ import annotations

import pytest

import campaignflow as cf


@pytest.fixture
def run() -> cf.Run:
    c = cf.Campaign("args")
    c.stages("a", "b")
    c.transition("go", "a", "b")
    return c.start(["u1", "u2"])


class TestInbox:
    def test_next_actions_by_something_that_is_not_an_actor(self, run: cf.Run) -> None:
        """by='bob' names the fix (pass a cf.Actor), as every write does."""
        with pytest.raises(cf.PermissionDenied, match=r"needs an actor: pass by=cf.Actor"):
            run.next_actions("u1", by="bob")  # type: ignore[arg-type]
        assert [a.event for a in run.next_actions("u1")] == ["go"]

    def test_awaiting_needs_an_actor(self, run: cf.Run) -> None:
        """awaiting(None) is a PermissionDenied naming the fix."""
        with pytest.raises(cf.PermissionDenied, match="needs an actor"):
            run.awaiting(None)  # type: ignore[arg-type]

    @pytest.mark.parametrize(("limit", "offset", "named"), [(-1, 0, "limit=-1"), (5, -3, "offset=-3")])
    def test_negative_pages_are_refused(self, run: cf.Run, limit: int, offset: int, named: str) -> None:
        """A negative limit or offset used to return a silently wrong page."""
        with pytest.raises(cf.ArgumentError, match=named):
            run.awaiting(cf.Actor(id="clerk"), limit=limit, offset=offset)

    def test_a_page_size_of_the_wrong_type(self, run: cf.Run) -> None:
        """limit='x' is a plainly wrong type: a TypeError that names the argument."""
        with pytest.raises(TypeError, match="limit must be a whole number"):
            run.awaiting(cf.Actor(id="clerk"), limit="x")  # type: ignore[arg-type]


class TestOpenAndCatchUp:
    def test_catch_up_since(self, run: cf.Run) -> None:
        """A negative or non-int position is named; 0 reads everything."""
        with pytest.raises(cf.ArgumentError, match="since=-1"):
            run.catch_up(-1)
        with pytest.raises(TypeError, match="since must be a whole number"):
            run.catch_up("x")  # type: ignore[arg-type]
        assert run.catch_up(0) >= 0

    def test_open_with_an_unknown_mode(self, run: cf.Run) -> None:
        """new_units='bogus' lists the modes (an ArgumentError, still a ValueError)."""
        c = cf.Campaign("args")
        c.stages("a", "b")
        c.transition("go", "a", "b")
        with pytest.raises(cf.ArgumentError, match="new_units='bogus': use 'refuse' or 'start'"):
            c.open(["u1", "u2"], run.store, new_units="bogus")  # type: ignore[arg-type]


def test_a_working_group_that_is_not_a_mapping_names_its_row() -> None:
    """working_groups=[5] is an OrgError naming the row, not an AttributeError."""
    with pytest.raises(cf.OrgError, match="row 1: each working group must be a mapping"):
        cf.Org.from_dicts([{"id": "a", "parent": None, "level": "t"}], working_groups=[5])  # type: ignore[list-item]
