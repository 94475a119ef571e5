"""Job functions: take ids or settings, safe to run again."""
