"""The channels' adapters: what goes out (SMTP e-mail, Twilio SMS), what is fetched (the
IMAP mailbox), and the one home of the inbound payload formats (``schemas``: marshmallow;
``payloads``: the parser per inbox channel, ``parsers(settings)``).

The formats live here, not in ``web``, because both sides parse: the web app's webhooks
and ``reprocess``, and the workers' sweeper (stuck payloads) and mailbox poller. ``web``
may import ``workers``; ``workers`` never imports ``web``; and ``triage`` outside the store
stays free of marshmallow.
"""
