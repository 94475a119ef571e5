"""The password rule of the web desk: long, not the username, not a common password.

Why these three and nothing else: length is what makes guessing expensive, and the two
lists stop the passwords guessed first (the account's own name, the famous ones). Rules
about digits and capitals push people to ``Password1!``, which the list catches anyway.
The list of common passwords ships with the package (``triage/data``), so the check needs
no network and gives the same answer everywhere.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from sla.text import Template, Text

MIN_LENGTH = 12
MAX_LENGTH = 200
#: The rule as the forms show it (Norwegian, like the desk's pages).
RULE = (
    f"Minst {MIN_LENGTH} tegn, ikke brukernavnet og ikke et vanlig passord "
    "(som «password1234» eller «qwertyuiop12»)."
)
_TRAILING = "0123456789!?.,-_#*@$%&+ "

# What is wrong with a password: English for the CLI, bokmål on the admin page (web.i18n).
TOO_SHORT = Template("password.too-short", "at least {n} characters")
TOO_LONG = Template("password.too-long", "at most {n} characters")
TOO_FEW_DIFFERENT = Template("password.too-few-different", "too few different characters")
USERNAME = Template("password.username", "must not be or contain the username")
COMMON = Template("password.common", "is a common password")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list, lower case (comments and blank lines left out)."""
    text = resources.files("triage").joinpath("data/common_passwords.txt").read_text("utf-8")
    lines = (line.strip().lower() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problem(password: str, username: str) -> Text | None:
    """What is wrong with ``password`` for ``username`` (a ``Text``: English for the CLI,
    the reader's language on the desk), or None.

    "Common" covers the password itself and the password with trailing digits and
    punctuation taken off (``password1234``, ``sommer2026!!``), since that is how people
    stretch a short password to a length rule.
    """
    if len(password) < MIN_LENGTH:
        return TOO_SHORT(n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return TOO_LONG(n=MAX_LENGTH)
    folded = password.strip().lower()
    if len(set(folded)) < 4:
        return TOO_FEW_DIFFERENT()
    name = username.strip().lower()
    if name and (folded == name or (len(name) >= 4 and name in folded)):
        return USERNAME()
    listed = common_passwords()
    if folded in listed or folded.rstrip(_TRAILING) in listed or folded.replace(" ", "") in listed:
        return COMMON()
    return None
