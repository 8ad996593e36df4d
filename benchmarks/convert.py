"""The evidence converter: msgspec against cattrs, alone and on the durable record path.

    PYTHONPATH=src python benchmarks/convert.py [--records 5000]

Prints, for each library: values/s converted to data and back (validating on the
way back), and durable records/s on SQLite (``record_many`` in batches of 1,000,
then reopening and reading every record back) with that library behind
``store.convert``. cattrs is measured with its default ``Converter`` (it does not
refuse ``"urgent"`` for ``list[str]``, so it would need extra checks on top).
"""

from __future__ import annotations

import argparse
import enum
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import attrs
import cattrs

import campaignflow as cf
from campaignflow.store import codec, convert


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@attrs.frozen
class Inner:
    n: int
    label: str = ""


@attrs.frozen
class Visit:
    hours: float
    note: str
    when: datetime
    day: date
    colour: Colour
    people: tuple[str, ...] = ()
    scores: dict[int, int] = attrs.Factory(dict)
    inner: Inner | None = None


VALUE = Visit(
    hours=2.5,
    note="谈心谈话",
    when=datetime(2014, 2, 25, 9, 30, tzinfo=UTC),
    day=date(2014, 2, 24),
    colour=Colour.BLUE,
    people=("张三", "李四", "王五"),
    scores={1: 5, 2: 4},
    inner=Inner(n=1, label="in"),
)

_CATTRS = cattrs.Converter()
_CATTRS.register_unstructure_hook(datetime, datetime.isoformat)
_CATTRS.register_structure_hook(datetime, lambda v, _: datetime.fromisoformat(v))
_CATTRS.register_unstructure_hook(date, date.isoformat)
_CATTRS.register_structure_hook(date, lambda v, _: date.fromisoformat(v))


def _cattrs_to(value: object) -> Any:
    data = _CATTRS.unstructure(value)
    return {k: ({str(a): b for a, b in v.items()} if isinstance(v, dict) else v) for k, v in data.items()}


def _cattrs_from(cls: type[Any], data: Any) -> Any:
    return _CATTRS.structure(data, cls)


LIBRARIES: dict[str, tuple[Callable[[object], Any], Callable[[type[Any], Any], Any]]] = {
    "msgspec": (convert.to_data, convert.from_data),
    "cattrs": (_cattrs_to, _cattrs_from),
}


def _per_second(n: int, work: Callable[[], None]) -> float:
    start = time.perf_counter()
    work()
    return n / (time.perf_counter() - start)


def _codec(to: Callable[[object], Any], back: Callable[[type[Any], Any], Any], n: int) -> float:
    def work() -> None:
        for _ in range(n):
            back(Visit, to(VALUE))

    return _per_second(n, work)


def _durable(name: str, n: int) -> float:
    to, back = LIBRARIES[name]
    saved = codec.to_data, codec.from_data
    codec.to_data, codec.from_data = to, back  # type: ignore[assignment]
    try:
        c = cf.Campaign("bench-convert")
        c.stages("a", "b")
        c.evidence(Visit)
        c.transition("go", "a", "b")
        actor = cf.Actor(id="bench")
        units = [f"u{i}" for i in range(100)]
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'c.db'}"
            run = c.start(units, store=url, clock=cf.FixedClock(start=datetime(2014, 3, 1, tzinfo=UTC)))

            def work() -> None:
                for i in range(0, n, 1000):
                    run.record_many([(units[j % 100], VALUE) for j in range(i, i + 1000)], by=actor)
                again = c.open(units, url)
                if sum(len(again.evidence(u, Visit)) for u in units) != n:
                    raise SystemExit("records lost")

            return _per_second(n, work)
    finally:
        codec.to_data, codec.from_data = saved  # type: ignore[assignment]


def main() -> None:
    """Print both libraries' figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=5000)
    args = parser.parse_args()
    for name, (to, back) in LIBRARIES.items():
        alone = _codec(to, back, 20_000)
        durable = _durable(name, args.records)
        print(f"{name:8} {alone:>12,.0f} values/s to data and back   {durable:>10,.0f} durable records/s")


if __name__ == "__main__":
    main()
