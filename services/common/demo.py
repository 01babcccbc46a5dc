"""Identifiers shared by the demo seeds of several services (SPEC §9), so they agree."""

import uuid

DEMO_FAMILY_ID = uuid.UUID("5f1c0a2e-7d4b-4c61-9a53-0d6f2b8e4a11")
DEMO_PARENT_EMAIL = "parent.demo@example.org"
DEMO_AGENT_EMAIL = "agent.demo@example.org"
DEMO_PASSWORD = "demo-portail-2026"  # noqa: S105 - published demo password, development only
# The demo family's children (families seeds them; reservations and billing may refer to them).
DEMO_CHILD_LEA_ID = uuid.UUID("0b6f3c2d-1e8a-4f57-b9c4-6a2d7e5f1c01")  # 5 years old, GS
DEMO_CHILD_HUGO_ID = uuid.UUID("0b6f3c2d-1e8a-4f57-b9c4-6a2d7e5f1c02")  # 9 years old, CM1
