"""Slack: Events API request verification and normalization."""
