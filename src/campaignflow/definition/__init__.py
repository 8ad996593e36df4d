"""What a campaign *is*: frozen values, no I/O, no run.

Holds: ``builder`` (``CampaignBuilder``: stages, transitions, rules, rework,
duties), ``model`` (the frozen ``Definition``, ``Stage``, ``Transition``,
``Rework``), ``rules`` (the declared primitives), ``combinators`` (all of, any
of, not), ``people_rules`` (rules over people: coverage, duties not overdue),
``gates`` (the public builders ``cf.count_at_least`` ...), ``ordering``
(hierarchy rules: parent first, children done, pilots first), ``obligations``
(recurring duties), ``sharing`` (evidence counted across levels), ``actors``
(``Actor``, roles), ``context`` (the read-only view a rule gets).

May import: ``org``, ``values``, ``exceptions``. Knows nothing of runs, stores,
reports, the testing kit or the command line.
"""
