"""Worker processes for the multi-process store tests (importable by spawned children)."""

from __future__ import annotations

import itertools
import random
import sys

import attrs

import campaignflow as cf

UNITS = ("u1", "u2", "u3")
STAGES = ("s0", "s1", "s2", "s3", "s4", "s5")


@attrs.frozen
class Note:
    n: int


def chain_campaign() -> cf.Campaign:
    """Stages s0..s5; `advance` moves one stage on, without a gate."""
    c = cf.Campaign("race")
    c.stages(*STAGES)
    c.evidence(Note)
    for a, b in itertools.pairwise(STAGES):
        c.transition("advance", a, b)
    return c


def race(url: str, seed: int, rounds: int) -> tuple[list[tuple[str, str, str]], int]:
    """Fire and record on overlapping units; return accepted fires and the number of records."""
    rng = random.Random(seed)
    run = chain_campaign().open(list(UNITS), url)
    me = cf.Actor(id=f"worker-{seed}")
    fired: list[tuple[str, str, str]] = []
    records = 0
    for _ in range(rounds):
        unit = rng.choice(UNITS)
        if rng.random() < 0.5:
            cf.retry(run, lambda u=unit: run.record(u, Note(n=seed), by=me), attempts=50)
            records += 1
            continue
        try:
            step = cf.retry(run, lambda u=unit: run.fire(u, "advance", by=me), attempts=50)
        except cf.InvalidTransition:
            continue
        fired.append((step.unit, step.source, step.dest))
    return fired, records


def write_batches(url: str, start: int) -> None:
    """Write batches of 50 notes forever, each batch by its own actor (killed from outside).

    After each committed batch it prints the batch's actor on stdout: the parent
    waits on those lines, never on the clock.
    """
    run = chain_campaign().open(list(UNITS), url)
    batch = start
    while True:
        items = [(UNITS[i % 3], Note(n=i)) for i in range(50)]
        run.record_many(items, by=cf.Actor(id=f"batch-{batch}"))
        print(f"batch-{batch}", flush=True)  # noqa: T201 - the parent reads it
        batch += 1


if __name__ == "__main__":
    write_batches(sys.argv[1], int(sys.argv[2]))
