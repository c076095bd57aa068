"""The web server: REST API under /api/v1, server-rendered pages, webhooks; one FastAPI app."""
