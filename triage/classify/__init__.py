"""Ticket severity classification: critical or non-critical, with reasons and a confidence.

See ``classifier`` for the contract rule and the pipeline.
"""

from triage.classify.classifier import (
    DEFAULT_CONFIRM_BELOW,
    Classification,
    classify,
    decide,
    read,
)
from triage.classify.scoring import THRESHOLD

__all__ = ["DEFAULT_CONFIRM_BELOW", "THRESHOLD", "Classification", "classify", "decide", "read"]
