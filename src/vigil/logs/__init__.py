"""Centralised logging: ingest, store, search, detect, forensics, retention (OPS-01)."""
