"""Configuration: settings from the environment (``config.settings``, read when asked,
never at import time), the contract catalog (``config.catalog``, TOML shipped as package
data: contract rules are data, not code) and the gunicorn settings.

May import: ``sla`` (the catalog builds its calendars, targets and tiers) and pure
``triage`` value types (the monitored services of ``triage.monitoring``). Never
``triage.store``, ``workers`` or ``web``.
"""
