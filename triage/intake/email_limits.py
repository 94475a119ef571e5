"""What a hostile e-mail may cost the parser (sizes, counts, depths), and the one error it
raises: ``MalformedEmail``, a message that cannot become a ticket, saying why.

Part of the e-mail parser (``triage.intake.email_message``); pure.
"""

from __future__ import annotations

#: Longest body (plain text or sanitised HTML) kept; longer ones are cut with a warning so
#: one pasted log file cannot bloat the ticket store or the agent's screen.
MAX_BODY_CHARS = 200_000


#: Subjects longer than this are spam or loops, and they end up in list views and e-mail
#: subject lines of our own replies.
MAX_SUBJECT_CHARS = 1_000


#: HTML source handed to the sanitiser; sanitised output (mostly smaller: styles and
#: attributes go) is then cut to MAX_BODY_CHARS.
MAX_HTML_SOURCE_CHARS = 5 * MAX_BODY_CHARS


#: Raw header values handed to the standard library's header parsers are cut to this
#: length: some of those parsers are super-linear on pathological input.
MAX_HEADER_CHARS = 16 * 1024


#: Recipient addresses examined per message (To + Cc + Delivered-To + X-Original-To).
MAX_RECIPIENTS = 500
#: Authentication-Results headers kept (each relay on the way adds one).
MAX_AUTH_RESULTS = 20


#: References kept (the newest ones); enough to thread any real conversation.
MAX_REFERENCES = 100


#: MIME parts examined and nesting depth followed; beyond that the message is hostile.
MAX_PARTS = 1_000


#: Message objects the stdlib parser may build (MIME parts, delivery-status blocks, ...).
#: policy.default spends ~0.1 ms per part, so 25 MiB of tiny parts would otherwise cost
#: minutes of worker time; past this budget only the start of the message is parsed.
MAX_PARSED_OBJECTS = 2_000


_FEED_CHUNK = 8192


MAX_DEPTH = 50


#: Warnings kept; a message with 10 000 bad recipients should not produce 10 000 lines.
MAX_WARNINGS = 50


MAX_FILENAME_CHARS = 255


#: RFC 5322 line limit; longer "ids" cannot have come from a conforming client.
MAX_MESSAGE_ID_CHARS = 998


_MiB = 1024 * 1024


class MalformedEmail(ValueError):
    """The bytes cannot become a ticket message; the text says exactly why, for the sender log."""
