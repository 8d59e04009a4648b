"""Triggers: poll-only, async, plain-JSON kwargs; they never send."""
