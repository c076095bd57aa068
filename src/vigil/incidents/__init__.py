"""Incidents (ICT tickets): lifecycle, ordered clock, timeline, RCA, DORA classification, effectiveness."""
