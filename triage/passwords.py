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

MIN_LENGTH = 12
MAX_LENGTH = 200
#: The rule as the forms show it (Norwegian, like the desk's pages).
RULE = (
    f"Minst {MIN_LENGTH} tegn, ikke brukernavnet og ikke et vanlig passord "
    "(som «password1234» eller «qwertyuiop12»)."
)
_TRAILING = "0123456789!?.,-_#*@$%&+ "


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list, lower case (comments and blank lines left out)."""
    text = resources.files("triage").joinpath("data/common_passwords.txt").read_text("utf-8")
    lines = (line.strip().lower() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problem(password: str, username: str) -> str | None:
    """What is wrong with ``password`` for ``username`` (English, for the error), or None.

    "Common" covers the password itself and the password with trailing digits and
    punctuation taken off (``password1234``, ``sommer2026!!``), since that is how people
    stretch a short password to a length rule.
    """
    if len(password) < MIN_LENGTH:
        return f"at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"at most {MAX_LENGTH} characters"
    folded = password.strip().lower()
    if len(set(folded)) < 4:
        return "too few different characters"
    name = username.strip().lower()
    if name and (folded == name or (len(name) >= 4 and name in folded)):
        return "must not be or contain the username"
    listed = common_passwords()
    if folded in listed or folded.rstrip(_TRAILING) in listed or folded.replace(" ", "") in listed:
        return "is a common password"
    return None
