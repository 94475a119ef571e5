"""Did the sender's domain vouch for this e-mail? Read from the relay's Authentication-Results.

Why it matters: a vendor's reply stops the SLA clock, and a ``From:`` header is whatever
the sender typed. The desk does not verify DKIM itself (that needs DNS at receipt time);
the receiving relay does, and records the outcome in an ``Authentication-Results``
header (RFC 8601). Relays *prepend* their header, so the topmost one is the nearest
relay's: only that one is read. Headers further down were there when the message
reached the relay, so a sender could have written them.

The verdict: ``"pass"`` when DMARC passed for the From domain, or a DKIM signature of the
From domain (or a parent or child domain: relaxed alignment) verified; ``"fail"``
when the relay recorded results and none of those holds; ``None`` when no relay recorded
any (a relay that does not check: nothing to judge, the other conditions still apply).
Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*([a-z0-9_-]+)\s*=\s*([a-z]+)\b(.*)$", re.IGNORECASE | re.DOTALL)
_PROPERTY = re.compile(r"\b(header\.from|header\.d|header\.i)\s*=\s*([^\s;]+)", re.IGNORECASE)


def sender_verdict(results: Sequence[str], from_domain: str) -> str | None:
    """``"pass"``, ``"fail"`` or ``None`` (nothing recorded) for mail From ``from_domain``."""
    if not results:
        return None
    domain = from_domain.strip().lower().rstrip(".")
    topmost = _COMMENT.sub(" ", results[0])
    for clause in topmost.split(";")[1:]:  # the first part is the relay's authserv-id
        match = _RESULT.match(clause)
        if match is None:
            continue
        method, result, rest = match.group(1).lower(), match.group(2).lower(), match.group(3)
        if result != "pass":
            continue
        props = {k.lower(): v.strip("\"'").lower() for k, v in _PROPERTY.findall(rest)}
        if method == "dmarc" and props.get("header.from", domain).rstrip(".") == domain:
            return "pass"
        signer = props.get("header.d") or props.get("header.i", "").rpartition("@")[2]
        if method == "dkim" and signer and _aligned(signer.rstrip("."), domain):
            return "pass"
    return "fail"


def _aligned(signer: str, domain: str) -> bool:
    """Relaxed alignment, without a public-suffix list: the same domain, or one a parent of
    the other below the top level ("mail.nettsoft.no" signs for "nettsoft.no")."""
    if signer == domain:
        return True
    shorter, longer = sorted((signer, domain), key=len)
    return shorter.count(".") >= 1 and longer.endswith("." + shorter)
