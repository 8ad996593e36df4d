"""A campaign applied to an organisation over a store: the only layer that writes.

Holds: ``run`` (``Run``: recording, firing, batches, send-backs, queries),
``engine`` (the ONE module that imports ``transitions``), ``judging`` (gate
verdicts), ``authz`` (who may act where), ``rollup`` (incremental counts,
``Progress``), ``duties`` (``ObligationReport``), ``replay`` (open and verify a
stored run), ``retry``, ``clock`` (clocks and id sources), ``audit`` (structured
events), ``gc`` (the opt-in collector pause during large batches).

May import: ``definition``, ``org``, ``store``, ``values``, ``exceptions``.
Knows nothing of reports, the testing kit or the command line.
"""
