"""The SQL store's reads of one campaign's log and projection: evidence, histories, rows, checkpoints."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any

import orjson
import sqlalchemy as sa

from campaignflow.exceptions import StoreError
from campaignflow.store._base import Checkpoint, UnitRow
from campaignflow.store._sql_audit import AuditReads, driver_rows
from campaignflow.store._tables import Tables
from campaignflow.store.codec import step_from_dict
from campaignflow.values.records import Recorded, Step

DECODED = 200_000  # decoded evidence records a store keeps, at most
CHECKPOINT_PAGE = 64  # checkpoints per read: each holds up to a batch's worth of heads


@functools.cache  # built once per campaign: building a select per call cost more than running it
def records_queries(t: Tables) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """The live evidence of one ``(unit, kind)``, and of all (filtered by the caller), in seq order."""
    steps, evidence = t.steps, t.evidence
    live = sa.select(steps.c.seq, steps.c.body, steps.c.prev_hash, steps.c.hash).join(
        evidence, evidence.c.seq == steps.c.seq
    )
    one = live.where(
        evidence.c.unit == sa.bindparam("unit"),
        evidence.c.kind == sa.bindparam("kind"),
        evidence.c.live.is_(True),
    ).order_by(steps.c.seq)
    return one, live.where(evidence.c.live.is_(True)).order_by(steps.c.seq)


def keep_decoded(cache: dict[int, Recorded[Any]], seq: int, recorded: Recorded[Any]) -> None:
    """Keep ``recorded`` (the evidence of log row ``seq``) decoded, the earliest half going when full."""
    if len(cache) >= DECODED:
        for old in list(islice(cache, DECODED // 2)):
            del cache[old]
    cache[seq] = recorded


class LogReads(AuditReads):
    """Mixed into :class:`SQLStore`: every read of the campaign's tables, through ``_read``."""

    evidence_types: dict[str, type[Any]]
    _decoded: dict[int, Recorded[Any]] | None

    def _decode(self, seq: int, body: str, prev: str, digest: str, *, lean: bool = False) -> Step:
        try:
            data = orjson.loads(body)
            return step_from_dict(
                data, seq=seq, prev_hash=prev, hash=digest, evidence_types=self.evidence_types, lean=lean
            )
        except StoreError:
            raise
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            msg = f"step {seq}: its body does not parse as a step ({type(exc).__name__}: {exc})"
            raise StoreError(msg, seq=seq) from None

    def _evidence(self, seq: int, body: str, prev: str, digest: str) -> Recorded[Any] | None:
        """The evidence of the log row ``seq``, decoded once while the store keeps it."""
        cache = self._decoded
        if cache is not None:
            found = cache.get(seq)
            if found is not None:
                return found
        recorded = self._decode(seq, body, prev, digest).evidence
        if recorded is not None and cache is not None:
            keep_decoded(cache, seq, recorded)
        return recorded

    def records(self, unit: str, kind: str) -> Sequence[Recorded[Any]]:
        """The unit's live evidence of type ``kind``, oldest first (one indexed query)."""
        one = records_queries(self._tables())[0]
        with self._read() as conn:
            out = []
            for row in conn.execute(one, {"unit": unit, "kind": kind}):
                recorded = self._evidence(*row)
                if recorded is not None:
                    out.append(recorded)
            return tuple(out)

    def records_many(
        self, units: Sequence[str], kinds: Sequence[str]
    ) -> dict[tuple[str, str], tuple[Recorded[Any], ...]]:
        """Live evidence of ``kinds`` for many units, by ``(unit, kind)``: a batch's reads at once."""
        found: dict[tuple[str, str], list[Recorded[Any]]] = {}
        t = self._tables()
        live = records_queries(t)[1]
        with self._read() as conn:
            for i in range(0, len(units), 2_000):
                part = list(units[i : i + 2_000])
                query = live.where(t.evidence.c.unit.in_(part), t.evidence.c.kind.in_(list(kinds)))
                for row in driver_rows(conn, query):  # a batch's many rows: the driver's tuples
                    recorded = self._evidence(*row)
                    if recorded is not None:
                        found.setdefault((recorded.unit, recorded.kind), []).append(recorded)
        return {(u, k): tuple(found.get((u, k), ())) for u in units for k in kinds}

    def history(self, unit: str) -> tuple[Step, ...]:
        """The unit's steps, oldest first."""
        c = self._tables().steps.c
        query = sa.select(c.seq, c.body, c.prev_hash, c.hash).where(c.unit == unit).order_by(c.seq)
        with self._read() as conn:
            return tuple(self._decode(*row) for row in conn.execute(query))

    def steps(self) -> Iterator[Step]:
        """The whole log in seq order, read in chunks."""
        c = self._tables().steps.c
        for row in self._log_rows(c.body, c.prev_hash, c.hash):
            yield self._decode(*row)

    def step_count(self) -> int:
        """How many steps the campaign's log holds."""
        steps = self._tables().steps
        with self._read() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(steps)).scalar() or 0)

    def rows(self) -> Iterator[UnitRow]:
        """The stored projection."""
        units = self._tables().units
        with self._read() as conn:
            result = conn.execute(sa.select(units)).all()
        return iter([_row(r) for r in result])

    def checkpoints(self) -> Iterator[Checkpoint]:
        """The batch checkpoints, by ``last_seq``, read a page at a time.

        A checkpoint names the head of every unit its batch wrote, so a large log
        holds about as many heads as steps: they are never all in memory at once.
        """
        after: tuple[int, int] | None = None
        checkpoints = self._tables().checkpoints
        c = checkpoints.c
        while True:
            query = sa.select(checkpoints).order_by(c.last_seq, c.id).limit(CHECKPOINT_PAGE)
            if after is not None:
                query = query.where(
                    sa.or_(c.last_seq > after[0], sa.and_(c.last_seq == after[0], c.id > after[1]))
                )
            with self._read() as conn:
                found = conn.execute(query).all()
            if not found:
                return
            for r in found:
                yield Checkpoint(
                    first_seq=r.first_seq,
                    last_seq=r.last_seq,
                    heads=tuple((u, h) for u, h in orjson.loads(r.heads)),
                    hash=r.hash,
                )
            after = (found[-1].last_seq, found[-1].id)

    def units_since(self, seq: int) -> tuple[list[str], int]:
        """The units with steps after ``seq``, and the last seq (an index range on the log)."""
        c = self._tables().steps.c
        query = sa.select(c.unit, sa.func.max(c.seq)).where(c.seq > seq).group_by(c.unit)
        with self._read() as conn:
            found = conn.execute(query).all()
        return [unit for unit, _ in found], max((int(top) for _, top in found), default=seq)

    def rows_many(self, units: Sequence[str]) -> dict[str, UnitRow]:
        """The stored rows of ``units`` that have one, by unit (one read per 2,000)."""
        found: dict[str, UnitRow] = {}
        t = self._tables().units
        with self._read() as conn:
            for i in range(0, len(units), 2_000):
                query = sa.select(t).where(t.c.unit.in_(list(units[i : i + 2_000])))
                found.update((r.unit, _row(r)) for r in conn.execute(query))
        return found

    def row(self, unit: str) -> UnitRow | None:
        """The unit's stored row."""
        t = self._tables().units
        with self._read() as conn:
            found = conn.execute(sa.select(t).where(t.c.unit == unit)).first()
        return None if found is None else _row(found)


def _row(r: Any) -> UnitRow:
    body = orjson.loads(r.body)
    return UnitRow(
        unit=r.unit,
        stage=r.stage,
        version=r.version,
        reworks=body["reworks"],
        fired=tuple(body["fired"]),
        head=r.head,
        blocked=body["blocked"],
    )
