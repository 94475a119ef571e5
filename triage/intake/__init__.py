"""Turning raw inbound channel payloads (e-mail first) into ticket messages; pure, no I/O."""
