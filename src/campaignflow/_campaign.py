"""The public :class:`Campaign`: the builder, plus the verbs that need the layers above it.

:class:`~campaignflow.definition.builder.CampaignBuilder` declares what a
campaign is and imports nothing of runs, stores or the testing kit. This class
sits above them all and hands the built definition down: to the run layer
(``start``, ``open``, ``verify``), the engine (``diagram``) and the testing
kit's analysis (``check``). Nothing below imports it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, Literal

from campaignflow.definition.builder import CampaignBuilder
from campaignflow.definition.diagram import FORMATS, draw
from campaignflow.org.graph import Org
from campaignflow.run.arguments import one_of
from campaignflow.run.clock import Clock, IdSource
from campaignflow.run.describe import describe, origin, reference
from campaignflow.run.replay import VerifyReport, open_run
from campaignflow.run.run import Run
from campaignflow.run.verify import verify
from campaignflow.store import Store
from campaignflow.testing.analysis import CheckReport, check_campaign


class Campaign(CampaignBuilder):
    """A campaign: declare it (see :class:`CampaignBuilder`), then start, open, verify or check it.

    Example::

        campaign = cf.Campaign("safety-2026", label="安全生产大检查")
        campaign.stages("mobilise", "inspect", "rectify", "closed")
        campaign.transition("start", "mobilise", "inspect")
        run = campaign.start(["plant-1", "plant-2"])

    Args:
        id: the campaign id (stored with every run).
        label: a human label in any language.
    """

    def __init__(self, id: str, *, label: str = "") -> None:  # noqa: A002
        super().__init__(id, label=label)
        # Where the campaign was built, so start() can record an importable MODULE:ATTR.
        self._origin = origin(sys._getframe(1))  # noqa: SLF001 - the caller's frame, once per campaign

    def start(
        self,
        org: Org | Iterable[str],
        *,
        store: Store | str | Any = None,
        clock: Clock | None = None,
        ids: IdSource | None = None,
        pause_gc: bool | None = None,
    ) -> Run:
        """Start a run of this campaign over ``org`` (an Org or a list of unit ids).

        Args:
            org: the organisation, or a plain list of unit ids.
            store: where the log lives: a store, an SQLAlchemy URL
                (``"sqlite:///campaign.db"``), engine or connection; default in memory.
            clock: "now" for every step (default: the UTC wall clock).
            ids: the evidence id source (default: random UUIDs).
            pause_gc: pause Python's cyclic garbage collector, process-wide,
                while a batch of 256 or more (``fire_many``, ``record_many``)
                runs: 1.3-1.8x faster batches, but no thread of the process
                collects cycles meanwhile. ``None`` (the default): off, unless
                the environment sets ``CAMPAIGNFLOW_PAUSE_GC=1``;
                ``run.pause_gc`` changes it later. Off, such a batch still sets
                the heap it starts with aside (``gc.freeze()``), so the
                collector walks only the batch's own objects (run/gc.py).

        A store with metadata (SQLite, PostgreSQL) records the org, the
        campaign's structure and, when the campaign was built in an importable
        module, its ``MODULE:ATTR``: the command line then needs neither
        ``--campaign`` nor ``--org`` (see ``campaignflow.run.describe``).
        """
        run = Run.start(self.build(), org, store=store, clock=clock, ids=ids)
        describe(run.store, run.definition, run.org, reference(self, self._origin))
        _pause(run, pause_gc)
        return run

    def open(
        self,
        org: Org | Iterable[str],
        store: Store | str | Any,
        *,
        clock: Clock | None = None,
        ids: IdSource | None = None,
        new_units: Literal["refuse", "start"] = "refuse",
        pause_gc: bool | None = None,
    ) -> Run:
        """Open the run of this campaign held in ``store`` (from its projection).

        Args:
            org: the organisation the run was started with.
            store: the store holding the run.
            clock: "now" for every step (default: the UTC wall clock).
            ids: the evidence id source (default: random UUIDs).
            new_units: what to do with units of ``org`` the run was not started
                with: ``"refuse"`` (``OrgMismatch`` naming them) or ``"start"``
                (they start in the initial stage). Stored units ``org`` lacks are
                always refused.
            pause_gc: pause the cyclic garbage collector during large batches,
                as for :meth:`start`.

        Raises:
            OrgMismatch: the org differs from the store's units (see ``new_units``).
        """
        run = open_run(self.build(), org, store, clock=clock, ids=ids, new_units=new_units)
        _pause(run, pause_gc)
        return run

    def check(self, *, budget: int = 100) -> CheckReport:
        """Static checks: dead ends, events nobody may fire, unsatisfiable rules, labels...

        Args:
            budget: generated scenarios tried per rule before calling it unsatisfiable.
        """
        return check_campaign(self, budget=budget)

    def diagram(self, format: str = "mermaid") -> str:  # noqa: A002 - the name users pass
        """The campaign's shape: mermaid ``stateDiagram-v2`` text, or an SVG picture.

        Compound stages are compound states with their labels; transitions are
        edges labelled with their label, event, ordering and gate labels;
        reworks are ``返工`` edges back. Paste the mermaid text into any mermaid
        renderer; ``format="svg"`` returns the SVG document's text, laid out by
        Graphviz.

        Args:
            format: ``"mermaid"`` or ``"svg"``.

        Raises:
            ArgumentError: another format.
            MissingDependency: ``"svg"`` without the ``graphviz`` binding
                (``pip install 'campaignflow[diagram]'``) or Graphviz's ``dot``
                program (``apt-get install graphviz``).
        """
        return draw(self.build(), one_of(format, "format", FORMATS))

    def verify(
        self, org: Org | Iterable[str], store: Store | str | Any, *, processes: int = 1
    ) -> VerifyReport:
        """Replay ``store``'s log through this campaign and compare with its projection.

        ``processes``: up to how many processes may verify a large SQLite file at
        once (forked, a shard of units each; the default 1 never forks). The
        report is the same either way.
        """
        return verify(self.build(), org, store, processes=processes)


def _pause(run: Run, value: object) -> None:
    """``pause_gc=``: a bool sets it, ``None`` leaves what the environment said (run/gc.py)."""
    if value is None:
        return
    if not isinstance(value, bool):
        msg = f"pause_gc must be True, False or None, got {value!r}"
        raise TypeError(msg)
    run.pause_gc = value
