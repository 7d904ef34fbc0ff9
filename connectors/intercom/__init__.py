"""Intercom: webhook (notification) verification and normalization."""
