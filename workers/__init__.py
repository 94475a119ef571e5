"""The background side: RQ jobs, the queues and the only module that enqueues
(``workers.enqueue``), the periodic sweeper, the process context jobs run in
(``workers.context``), process supervision for ``triage up``, and the channels' adapters
(``workers.channels``: SMTP, Twilio SMS, the IMAP poller, and the inbound payload formats
both the web app and the workers parse with).

Jobs take ids and are safe to run again; the database is the source of truth.

May import: ``sla``, ``config``, ``triage`` (the store's named reads and use-cases; no SQL
of its own). Never ``web``.
"""
