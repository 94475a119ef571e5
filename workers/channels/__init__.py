"""Outbound channels: e-mail (SMTP) now, SMS (Twilio) with the escalation issue."""
