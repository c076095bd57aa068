"""The in-process CLI runner of the governance fixtures (tests/governance_fixtures.py)."""

from governance_fixtures import vigil_cli  # noqa: F401 (a fixture)
