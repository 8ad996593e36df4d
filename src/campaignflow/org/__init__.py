"""The organisation: units in a tree, people, supervision groups and contact points.

Holds: ``graph`` (``Org``, the networkx graph and its queries), ``build`` (the
builder that validates rows and makes the graph), ``io`` (CSV and JSON readers and
writers: they return and take rows, the graph is made by the builder).

May import: ``exceptions``, ``values``. Knows nothing of campaigns, runs, stores,
reports or the command line.
"""
