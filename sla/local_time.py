"""The desk's local time zone: where people read and write times.

DESIGN.md's fixed interface: a time without an offset means Europe/Oslo, and times are
shown in Europe/Oslo with their offset. One constant, not an environment setting: schema
fields and command options need it when they are defined, and settings are never read at
import time. In ``sla`` because every layer may import it, the pure ones included. Each calendar of the catalog names its own zone for its business hours; the
shipped catalog's are all this one (tests/sla/test_local_time.py holds it to that).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")
