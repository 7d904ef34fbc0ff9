"""What to do once a conversation is decided: plans, notes, the store and the outbox.

The action side arrives with the native-handover work; detection (`escalation/`) is
complete without it.
"""
