"""Building large orgs fast: networkx's adjacency written directly, the garbage collector paused."""

from __future__ import annotations

import gc
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


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while an org is built.

    Building makes millions of objects and no cycles; the collector, triggered by
    the count of new objects, would scan them over and over (a fifth of the
    national org's build time).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
