"""Building large orgs fast: networkx's adjacency written directly, the collector paused on request."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import networkx as nx


def add_nodes(g: nx.MultiDiGraph, nodes: Iterable[tuple[str, dict[str, object]]]) -> None:
    """New nodes with their attribute dicts, as ``add_nodes_from`` makes them without its copies.

    A national org adds 640,000 nodes and 1.3 million edges: networkx's own
    methods check and copy per item, three times the cost of writing its
    adjacency dicts directly (tests/test_org_graph.py compares the two).
    """
    succ, pred, node = g._succ, g._pred, g._node  # noqa: SLF001 - see above
    for n, data in nodes:
        if n not in succ:
            succ[n] = {}
            pred[n] = {}
        node[n] = data
    nx._clear_cache(g)  # noqa: SLF001 - what networkx's own mutators call


def add_edges(g: nx.MultiDiGraph, pairs: Iterable[tuple[str, str]], key: str) -> None:
    """Edges typed ``key`` between nodes of ``g``, as ``add_edges_from`` makes them (see add_nodes)."""
    succ, pred = g._succ, g._pred  # noqa: SLF001 - see add_nodes
    for u, v in pairs:
        out = succ[u]
        keys = out.get(v)
        if keys is None:
            out[v] = pred[v][u] = {key: {}}
        elif key not in keys:
            keys[key] = {}
    nx._clear_cache(g)  # noqa: SLF001


ENV = "CAMPAIGNFLOW_PAUSE_GC"
"""Set to ``1``, the process lets the library pause the cyclic collector (as for runs' batches)."""


def pause_asked() -> bool:
    """Whether the process opted into pausing the collector: ``CAMPAIGNFLOW_PAUSE_GC=1``.

    The one reading of the variable, for org builds here and runs' batches (run/gc.py).
    """
    return os.environ.get(ENV, "").strip() == "1"


@contextmanager
def collector_paused(on: bool) -> Iterator[None]:
    """The cyclic garbage collector paused for the block, if ``on`` and it was enabled; re-enabled after.

    The one pause of the package: org builds here and runs' batches (run/gc.py).
    """
    if not on or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while an org is built, when the process opted in.

    Building makes millions of objects and no cycles; the collector, triggered by
    the count of new objects, scans them over and over (a fifth of the national
    org's build time). But it is process-wide, so pausing it is the host's
    choice, as for a run's batches: ``CAMPAIGNFLOW_PAUSE_GC=1`` in the
    environment (a batch script, a benchmark, the demo). Read at each build.
    """
    with collector_paused(pause_asked()):
        yield
