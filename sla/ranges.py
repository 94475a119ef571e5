"""The ranges money and counts must lie in, wherever they enter (catalog, forms, command
line, fee changes).

Decimal accepts ``1e999999``, and a fee that large was stored once (issue 15): every
penalty page then failed with ``InvalidOperation`` when the context's exponent limit was
reached in the arithmetic. Amounts are therefore finite, non-negative, in whole øre
(two decimals at most) and at most a billion kroner a month; counts of users are whole
numbers up to ten million. Far beyond any real contract, far inside what the arithmetic
and the database's integers hold.
"""

from __future__ import annotations

from decimal import Decimal

from sla.text import Template

MAX_AMOUNT = Decimal("1000000000")  # per month, in the contract's currency
AMOUNT_PLACES = 2
MAX_USERS = 10_000_000
MAX_COUNT = 1_000_000  # breaches in a period, and the like

# Why a figure is refused: English for the CLI and the catalog's errors, the reader's
# language on the desk's forms (``web.i18n.note``).
NOT_FINITE = Template("range.not-finite", "{name}: {value} is not a finite amount")
NEGATIVE = Template("range.negative", "{name}: must not be negative")
TOO_LARGE = Template("range.too-large", "{name}: at most {most:,} per month")
TOO_PRECISE = Template("range.too-precise", "{name}: at most {places} decimals")
USERS = Template("range.users", "{name}: a whole number from 0 to {most:,}")


def check_amount(name: str, value: Decimal) -> Decimal:
    """``value`` if it is a usable amount; ``ValueError`` naming ``name`` if not."""
    if not value.is_finite():
        raise ValueError(NOT_FINITE(name=name, value=str(value)))
    if value < 0:
        raise ValueError(NEGATIVE(name=name))
    if value > MAX_AMOUNT:
        raise ValueError(TOO_LARGE(name=name, most=MAX_AMOUNT))
    if value != value.quantize(Decimal(1).scaleb(-AMOUNT_PLACES)):  # "10.50" is fine
        raise ValueError(TOO_PRECISE(name=name, places=AMOUNT_PLACES))
    return value


def check_users(name: str, value: int) -> int:
    """``value`` if it is a usable count of users; ``ValueError`` naming ``name`` if not."""
    if not 0 <= value <= MAX_USERS:
        raise ValueError(USERS(name=name, most=MAX_USERS))
    return value
