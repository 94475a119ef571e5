"""Ticket severity classification: critical or non-critical, with reasons and a score.

See ``classifier`` for the contract rule and the pipeline.
"""

from triage.classify.classifier import Classification, classify
from triage.classify.scoring import THRESHOLD

__all__ = ["THRESHOLD", "Classification", "classify"]
