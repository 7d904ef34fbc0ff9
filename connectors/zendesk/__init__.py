"""Zendesk: webhook verification and normalization (event subscriptions and trigger bodies)."""
