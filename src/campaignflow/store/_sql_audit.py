"""The SQL store's reads for ``verify``: the columns and index rows kept beside the hashed bodies."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from campaignflow.store._tables import evidence_t, steps_t

CHUNK = 5_000


class AuditReads:
    """Mixed into :class:`SQLStore`: what verify compares with the replayed log."""

    def _read(self) -> AbstractContextManager[Connection]:  # pragma: no cover - SQLStore's own
        raise NotImplementedError

    def columns(self) -> Iterator[tuple[int, str, str]]:
        """``(seq, unit, kind)`` of every log row in seq order, as stored beside the bodies (verify)."""
        last = 0
        while True:
            query = (
                sa.select(steps_t.c.seq, steps_t.c.unit, steps_t.c.kind)
                .where(steps_t.c.seq > last)
                .order_by(steps_t.c.seq)
                .limit(CHUNK)
            )
            with self._read() as conn:
                chunk = conn.execute(query).all()
            if not chunk:
                return
            for seq, unit, kind in chunk:
                yield int(seq), str(unit), str(kind)
            last = chunk[-1][0]

    def evidence_index(self) -> Iterator[tuple[str, str, str, int, bool]]:
        """``(id, unit, kind, seq, live)`` of every evidence index row (verify)."""
        t = evidence_t.c
        with self._read() as conn:
            found = conn.execute(sa.select(t.id, t.unit, t.kind, t.seq, t.live)).all()
        return iter([(str(i), str(u), str(k), int(s), bool(v)) for i, u, k, s, v in found])
