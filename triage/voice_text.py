"""What a page call says, in Norwegian, and what a key press means. Pure.

The call reads the ticket the way the SMS writes it, spelled for a speech engine: the case
number digit by digit (Twilio's <Say> reads "123" as a number, and a number is easier to
mishear), the service's short name, the subject cut to one sentence.
"""

from __future__ import annotations

#: Key -> the SMS command it stands for, so a key press takes the SMS answers' path
#: (``triage.store.sms_replies``) with its rules on who may answer what.
KEYS = {"4": "ACK", "6": "START"}
SUBJECT_CHARS = 120


def page_speech(ticket_id: int, critical: bool, service: str, subject: str) -> str:
    """The text read when the on-call person answers."""
    kind = "Kritisk sak" if critical else "Sak"
    number = " ".join(str(ticket_id))
    about = " ".join(subject.split())[:SUBJECT_CHARS] or "uten emne"
    return f"{kind} nummer {number} på {service}: {about}."


PROMPT = "Trykk 4 for å kvittere, eller 6 for å starte arbeidet."
NO_ANSWER = "Vi fikk ikke noe svar. Du får en ny melding. Ha det."


def key_command(digits: str, ticket_id: int) -> str | None:
    """The SMS command text a key press stands for (``ACK 123``), None for other keys."""
    command = KEYS.get(digits.strip()[:1])
    return f"{command} {ticket_id}" if command else None


def key_confirmation(command: str | None, reply: str | None) -> str:
    """What the caller hears after pressing a key."""
    if command is None:
        return "Ukjent tast. " + PROMPT
    if command.startswith("ACK"):
        return "Kvittert. Ingen flere varsler på denne saken til deg. Ha det."
    return "Registrert at arbeidet er startet. Ha det." if reply else "Ha det."
