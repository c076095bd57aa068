"""People as users of vigil: API tokens (stored only as hashes) and the server's session secret."""
