"""Pure SLA arithmetic: calendars, business time, deadlines, availability, penalties.

No I/O and no clock reads: every function takes the instants it needs as arguments,
so results can be recomputed and explained later.
"""
