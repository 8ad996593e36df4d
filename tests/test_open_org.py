"""open() compares the org with the store's units: stored units the org lacks are refused, named."""

from __future__ import annotations

from pathlib import Path

import pytest

import campaignflow as cf

A = cf.Actor(id="x")


def campaign() -> cf.Campaign:
    """Two stages, one open move."""
    c = cf.Campaign("open-org")
    c.stages("a", "b")
    c.transition("go", "a", "b")
    return c


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    """A fresh store target of each kind."""
    if request.param == "memory":
        return cf.MemoryStore()
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'open.db'}"
    return request.getfixturevalue("pg_fresh")


class TestOpenComparesTheOrg:
    def test_stored_units_the_org_lacks_are_named(self, target: object) -> None:
        """Opening with an org missing written units raises OrgMismatch (an OrgError and a StoreError)."""
        c = campaign()
        run = c.start(["u1", "u2", "u3"], store=target)
        run.fire("u2", "go", by=A)
        run.fire("u3", "go", by=A)
        with pytest.raises(cf.OrgMismatch) as caught:
            c.open(["u1"], run.store)
        assert caught.value.units == ("u2", "u3")
        assert "2 unit(s) not in org" in str(caught.value)
        assert "u2, u3" in str(caught.value)
        assert isinstance(caught.value, cf.OrgError)
        assert isinstance(caught.value, cf.StoreError)

    def test_the_same_org_opens(self, target: object) -> None:
        """The org the run was started with opens, its units where they were."""
        c = campaign()
        run = c.start(["u1", "u2"], store=target)
        run.fire("u2", "go", by=A)
        assert [c.open(["u1", "u2"], run.store).stage_of(u) for u in ("u1", "u2")] == ["a", "b"]

    def test_units_the_store_lacks_are_named(self, target: object) -> None:
        """An org with units the run was not started with is refused, naming them, before anything moves."""
        c = campaign()
        run = c.start(["u1", "u2"], store=target)
        with pytest.raises(cf.OrgMismatch) as caught:
            c.open(["u1", "u2", "u3", "u0"], run.store)
        assert caught.value.units == ("u3", "u0")
        assert "new_units='start'" in str(caught.value)

    def test_new_units_start_in_the_initial_stage_and_are_kept(self, target: object) -> None:
        """new_units='start' starts them in the initial stage; the next open takes them as the run's."""
        c = campaign()
        run = c.start(["u1", "u2"], store=target)
        run.fire("u1", "go", by=A)
        grown = c.open(["u1", "u2", "u3"], run.store, new_units="start")
        assert [grown.stage_of(u) for u in ("u1", "u2", "u3")] == ["b", "a", "a"]
        grown.fire("u3", "go", by=A)
        again = c.open(["u1", "u2", "u3"], run.store)
        assert again.stage_of("u3") == "b"
        assert c.verify(["u1", "u2", "u3"], run.store).ok

    def test_units_started_but_never_written_cannot_leave(self, target: object) -> None:
        """A unit the run was started with cannot leave the org, even if nothing was written to it."""
        c = campaign()
        run = c.start(["u1", "u2"], store=target)
        with pytest.raises(cf.OrgMismatch) as caught:
            c.open(["u1"], run.store, new_units="start")
        assert caught.value.units == ("u2",)
