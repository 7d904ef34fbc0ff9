"""How Handoff talks to each platform: verification, normalization and (later) actions."""
