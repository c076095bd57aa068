"""Governance: handover (PM-28), closure (PM-29), lessons learned (PM-30), traceability and the gate."""
