"""The simulation's batched evidence reads and kept people lookups tell the per-unit story.

The office reads a batch of units' evidence with one ``records_many`` and keeps
the last few thousand people lookups; the story must be the one told by a read
per unit and a table lookup per question: the same steps, byte for byte, on
every store.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.presets.mass_line import campaign, office
from campaignflow.presets.mass_line import evidence as ev
from campaignflow.presets.mass_line.dice import PerUnitDice, SharedDice
from campaignflow.presets.mass_line.rules import Thresholds
from campaignflow.presets.mass_line.simulated import Odds
from campaignflow.presets.mass_line.simulation import simulate
from campaignflow.presets.scaled import scaled_org
from campaignflow.store import SQLStore, open_store
from conftest import reset_pg

ORG = scaled_org("province", seed=0, fraction=0.004)  # 258 units: refusals, redos and send-backs
TYPES = campaign().build().evidence_types


def per_unit(self: office.Office, units: Sequence[str], tp: type[Any]) -> dict[str, Sequence[Any]]:
    """The old path: one ``run.evidence`` per unit."""
    return {u: self.run.evidence(u, tp) for u in units}


def store_at(kind: str, where: Path, request: pytest.FixtureRequest) -> cf.Store | None:
    if kind == "memory":
        return None
    if kind == "sqlite":
        return open_store(f"sqlite:///{where}", evidence_types=TYPES)
    url = str(request.getfixturevalue("pg_url"))
    reset_pg(url)
    return open_store(url, evidence_types=TYPES)


def told(sim: Any) -> tuple[list[cf.Step], int, int, list[str]]:
    """Every stored step, in order, and what the simulation counted."""
    return list(sim.run.store.steps()), sim.refused, sim.sent_back, [v.explain() for v in sim.refusals]


CASES = [
    ("memory", SharedDice, 37),  # batches end inside every phase's units
    ("memory", PerUnitDice, office.BATCH),  # the sharded run's dice, the demo's batch
    ("sqlite", SharedDice, 37),
    ("postgresql", PerUnitDice, 37),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{k}-{d.__name__}-{b}" for k, d, b in CASES])
def test_batched_reads_write_the_steps_per_unit_reads_write(
    case: tuple[str, type[SharedDice | PerUnitDice], int],
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kind, dice, batch = case
    monkeypatch.setattr(office, "BATCH", batch)

    def run(name: str) -> tuple[list[cf.Step], int, int, list[str]]:
        store = store_at(kind, tmp_path / f"{name}.db", request)
        done = told(simulate(ORG, store=store, seed=0, dice=dice(0)))
        if isinstance(store, SQLStore):
            store.close()
        return done

    batched = run("batched")
    with monkeypatch.context() as old:
        old.setattr(office.Office, "evidence_of", per_unit)
        old.setattr(office, "PEOPLE_KEPT", 0)  # every lookup asks the table
        reference = run("per-unit")
    steps = batched[0]
    assert len(steps) > 10_000
    assert batched[1] > 0  # refusals fixed: new drafts numbered and approved
    assert batched[2] > 0  # meetings sent back: the material drafted again
    assert {s.evidence.kind for s in steps if s.evidence} >= {"SupervisionApproval", "LedgerClosure"}
    assert batched == reference


@pytest.fixture(scope="module", params=["memory", "sqlite", "postgresql"])
def simulated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[cf.Run]:
    """A finished small run on each store (read-only below)."""
    store = store_at(request.param, tmp_path_factory.mktemp("reads") / "sim.db", request)
    yield simulate(ORG, store=store, seed=0).run
    if isinstance(store, SQLStore):
        store.close()


KINDS = sorted(TYPES.values(), key=lambda tp: tp.__name__)


@settings(max_examples=60, deadline=None)
@given(
    picks=st.lists(st.integers(0, len(ORG) - 1), max_size=80),
    tp=st.sampled_from([ev.SelfInspection, ev.LedgerItem, *KINDS]),
)
def test_a_batch_read_is_each_units_read(simulated: cf.Run, picks: list[int], tp: type[Any]) -> None:
    """Any units (repeated, in any order) and any evidence type: the records ``run.evidence`` gives."""
    units = list(ORG)
    chosen = [units[i] for i in picks]
    sim = office.Office(simulated, SharedDice(0), Odds(), Thresholds())
    read = sim.evidence_of(chosen, tp)
    assert list(read) == list(dict.fromkeys(chosen))
    assert all(tuple(read[u]) == tuple(simulated.evidence(u, tp)) for u in chosen)


def test_kept_lookups_are_the_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    """The office's people are the org's, for every unit and group and role, however often asked."""
    monkeypatch.setattr(office, "PEOPLE_KEPT", 16)  # far fewer than asked for: lookups fall out, come back
    sim = office.Office(campaign().start(ORG), SharedDice(0), Odds(), Thresholds())
    holders = [*ORG, *ORG.groups()]
    roles = (None, "leadership", "principal", "members", "supervisor")
    for _ in range(2):
        for holder in holders:
            for role in roles:
                assert sim.people(holder, role) == ORG.people(holder, role)
    assert any(sim.people(g, "supervisor") for g in ORG.groups())
    assert all(sim.principal(u) == (ORG.people(u, "principal") or ("office",))[0] for u in ORG)
