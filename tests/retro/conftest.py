"""The governance fixtures (see tests/governance_fixtures.py); they override the root conftest's store."""

from governance_fixtures import *  # noqa: F403
