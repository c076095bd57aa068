"""Dashboard usage: which pages were opened, when and by whom (telemetry, not audited state)."""
