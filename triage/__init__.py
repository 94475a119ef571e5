"""The ticket domain: model, channel parsing, classification, routing, messages.

Pure except ``triage.store`` (the only part that touches a database).
"""
