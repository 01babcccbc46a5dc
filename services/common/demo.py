"""Identifiers shared by the demo seeds of several services (SPEC §9), so they agree."""

import uuid

DEMO_FAMILY_ID = uuid.UUID("5f1c0a2e-7d4b-4c61-9a53-0d6f2b8e4a11")
DEMO_PARENT_EMAIL = "parent.demo@example.org"
DEMO_AGENT_EMAIL = "agent.demo@example.org"
DEMO_PASSWORD = "demo-portail-2026"  # noqa: S105 - published demo password, development only
