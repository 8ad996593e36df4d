"""The store's schema migrations, run by Alembic inside ``campaignflow migrate`` (``store.migrate``).

No ``alembic.ini`` is needed: ``store._migrate`` builds Alembic's ``Config`` in
code, with ``script_location`` this folder and the caller's connection in
``config.attributes["connection"]``; ``env.py`` runs every revision on that one
connection, inside the one transaction ``migrate`` holds: all revisions apply,
or none. Alembic's version table is ``cf_version`` (an application sharing the
database keeps its own ``alembic_version``); ``cf_meta.schema_version`` mirrors
it, for releases before migrations to refuse a newer database by name.

The chain, one file per revision in ``versions/`` (ids are the schema numbers):

- ``1``: the schema of every release before migrations (the first campaign's
  tables ``cf_meta``, ``cf_steps``, ``cf_units``, ``cf_checkpoints``,
  ``cf_evidence``, ``cf_denials``). Never run on a user's database (those are
  stamped at 1): it builds one in tests.
- ``2``: the catalogue ``cf_campaigns``: several campaigns in one database. The
  existing campaign is listed under the prefix ``cf_``: no row of it moves.
- ``3``: the idempotency keys index (``<prefix>keys``), created for every
  prefix ``cf_campaigns`` lists (where a keyed write has not made it already).

A new revision: a file ``versions/r000N_<what>.py`` with ``revision = "N"``,
``down_revision`` the previous number, its tables written out in full (never
imported from ``_tables``, whose later changes must not rewrite history), and
``SCHEMA_VERSION`` in ``_tables`` raised to N. The log's rows (``*_steps``,
``*_denials``) are never rewritten: their hash chains are the evidence.
"""
