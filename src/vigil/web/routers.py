"""The domains that plug into the web app: each adds an APIRouter (API, pages, webhooks), optionally a
template package and navigation entries. Add a domain by adding a line to each list below."""

from __future__ import annotations

from fastapi import APIRouter


def routers() -> list[APIRouter]:
    from vigil.web import api, pages, records

    return [api.router, pages.router, records.router]


# Packages whose "templates" folder the page templates may include or extend (searched in order).
TEMPLATE_PACKAGES: list[str] = ["vigil.web"]

# (label, path) in the top navigation bar.
NAV: list[tuple[str, str]] = [("Releases", "/"), ("API", "/api/docs")]
