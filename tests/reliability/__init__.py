"""Reliability: fault-injection campaigns, the no-wasted-retries and bad-input suites."""
