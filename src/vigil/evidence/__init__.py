"""Evidence: a content-addressed, retained, verifiable archive of every governance artefact (AUD-03)."""
