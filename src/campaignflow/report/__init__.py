"""Reports of a run: data, JSON, CSV and the self-contained HTML dashboard.

Holds: ``build`` (``build_report`` and ``Report``), ``dashboard`` (the jinja2
page, its template under ``templates/``).

May import: ``run``, ``definition``, ``org``, ``values``, ``exceptions``. It
reads runs and never writes (no store access of its own).
"""
