"""triage/store."""
