"""What to decide: workspace policy, conversation cases and the escalation detectors.

Pure code: nothing here imports Flask, a platform SDK, `connectors` or `handover`.
"""
