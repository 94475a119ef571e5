"""The web adapter: the Flask app and the ``triage`` command line.

Holds the app factory (``web.app``, imported only by entry points: gunicorn's
``web.app:create_app()``, ``triage up``, tests), what every view shares (``web.desk``: the
desk, the JSON error shape, body limits), the error handlers (``web.errors``), the health
probes (``web.health``), the inbound webhooks (``web.inbound``), the REST API
(``web.api``), login (``web.auth``), rate limits and headers (``web.security``), the desk's
pages (``web.ui``), the command line (``web.cli``) and how values are written for people
(``web.formats``).

May import: ``sla``, ``config``, ``triage`` (the store's named reads and use-cases, never
SQL of its own: no SQLAlchemy beyond the session types and exceptions, models only under
``TYPE_CHECKING``), ``workers`` (enqueueing only through ``workers.enqueue``; the channel
formats in ``workers.channels``). Nothing imports ``web``.
"""
