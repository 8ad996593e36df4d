"""Verifying a store: replay its log and check every table a run reads against the hashed bodies.

What is checked, in one pass over the log and its checkpoints:

- every body parses and hashes into its unit's chain (``prev_hash``, ``hash``);
- each row's ``seq``, ``unit`` and ``kind`` columns equal what its hashed body says;
- each step replays through the campaign (source, destination, send-back counts);
- each checkpoint's hash, and that replay reaches the heads it recorded;
- the evidence index (``cf_evidence``: ids, units, kinds, seqs, live flags),
  rebuilt from the log and compared row by row;
- the projection (``cf_units``), rebuilt by replay and compared unit by unit;
- the idempotency keys index (``cf_keys``) against the keys hashed into the
  steps: a key the index lacks would let a repeat write twice, an index row
  naming a step without that key would answer a request with another's step;
- the denial log's own hash chain, when the store keeps one.

A deleted step is named by its own seq when the log no longer reaches it (the
tail of a unit's chain), or by the seq of the next step of the same unit.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable
from typing import Any

from campaignflow.definition.model import Definition
from campaignflow.exceptions import ArgumentError, StoreError
from campaignflow.org.graph import Org
from campaignflow.run.arguments import whole
from campaignflow.run.replay import VerifyReport
from campaignflow.run.verify_pass import _Problem, _Verify
from campaignflow.run.verify_shards import _child, _Place, _shard
from campaignflow.store import Store, open_store


def verify(
    definition: Definition, org: Org | Iterable[str], store: Store | str | Any, *, processes: int = 1
) -> VerifyReport:
    """Replay ``store``'s whole log and check every table a run reads against it.

    Returns a report naming the first problem: the step's seq and unit, the
    evidence id, the checkpoint or the unit whose projection differs. Never
    raises for a bad log (a foreign store still raises :class:`StoreError`).

    ``processes``: up to how many processes may share the work (at most the
    machine's cores). Only a SQLite file of :data:`SHARDED_FROM` steps or more
    is split, by forking; the default, 1, never forks, since forking a host's
    threaded process (a web app) is the host's decision, not the library's.
    """
    if whole(processes, "processes") < 1:
        msg = f"processes={processes}: pass 1 (one pass, no fork) or more"
        raise ArgumentError(msg)
    org = Org.coerce(org)
    store = open_store(store, evidence_types=definition.evidence_types)
    store.bind(definition.id, fresh=False, evidence_types=definition.evidence_types)
    clean = _sharded(definition, org, store, processes)
    if clean is not None:
        return clean
    check = _Verify(definition, org, store)
    try:
        check.all()
    except _Problem as found:
        return VerifyReport(
            ok=False,
            steps=check.n,
            units=len(org),
            unit=found.unit,
            seq=found.seq,
            problem=found.problem,
            denials=check.denied,
        )
    except StoreError as exc:
        seq = getattr(exc, "seq", None)
        if seq is None:
            raise
        return VerifyReport(ok=False, steps=check.n, units=len(org), seq=seq, problem=str(exc))
    return VerifyReport(ok=True, steps=check.n, units=len(org), denials=check.denied)


SHARDED_FROM = 100_000
"""Steps from which a log is verified in shards: below, forking costs more than it saves."""


def _sharded(definition: Definition, org: Org, store: Store, processes: int) -> VerifyReport | None:
    """The report of a clean store, verified in up to ``processes`` processes; ``None`` otherwise.

    ``None`` also when the store is not an SQLite file or the log is short: then,
    and whenever a shard finds anything amiss, the caller verifies in one pass,
    which names the first problem as it always did (the shards only say whether
    there is one, so the report never depends on them). One process (the
    default, or a machine of one core) is one shard in this process: no fork, and
    the evidence index is still compared as it is read, never held.
    """
    shared = getattr(store, "shared_file", None)
    where = None if shared is None else shared()
    if where is None or not getattr(store, "steps_at_least")(SHARDED_FROM):  # noqa: B009 - an SQL store's
        return None
    shards = min(processes, os.cpu_count() or 1)
    if "fork" not in multiprocessing.get_all_start_methods():
        shards = 1
    children = []
    context = multiprocessing.get_context("fork") if shards > 1 else None  # inherited, not pickled
    for shard in range(1, shards):
        assert context is not None  # noqa: S101 - shards > 1
        receive, send = context.Pipe(duplex=False)
        place = _Place(shard=shard, of=shards, file=where[0], prefix=where[1])
        child = context.Process(target=_child, args=(send, definition, org, store, place), daemon=True)
        child.start()
        send.close()
        children.append((child, receive))
    found = [_shard(definition, org, store, _Place(shard=0, of=shards, file=where[0], prefix=where[1]))]
    for child, receive in children:
        try:
            found.append(receive.recv())
        except EOFError:  # the child died: verify again in one pass
            found.append(None)
        receive.close()
        child.join()
    counts = [f for f in found if f is not None]
    if len(counts) < shards:
        return None
    return VerifyReport(ok=True, steps=sum(n for n, _ in counts), units=len(org), denials=counts[0][1])
