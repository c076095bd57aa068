"""Lessons learned (PM-30), published to an organisation-wide knowledge base: a plain folder.

Layout: ``<kb>/<service>/<release>.md`` and ``.html`` with a ``.json`` sidecar of metadata, plus
``index.md`` / ``index.html`` across every release and service. The index is rebuilt from the sidecars on
each publish, never edited in place, so two releases published at once cannot lose each other's entry.
"""

from __future__ import annotations

import html
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from vigil.errors import VigilError
from vigil.evidence.models import EvidenceItem
from vigil.evidence.versions import seal_version, versions
from vigil.governance.markup import safe_html
from vigil.governance.models import LessonsPublication
from vigil.governance.render import render
from vigil.releases.closed import ensure_open
from vigil.releases.roles import authorize
from vigil.releases.service import get_release, plan_of
from vigil.retro.models import ActionItem
from vigil.retro.service import retrospective_of
from vigil.settings import Settings
from vigil.store import Store
from vigil.store.audit import append as audit

PUBLISHERS = ("release_owner", "monitoring_owner")


def kb_root(explicit: str | Path | None = None, plan_value: str | None = None) -> Path:
    return Path(explicit or plan_value or Settings().kb_dir or "vigil-kb")


def publish(
    store: Store,
    root: Path,
    release_ref: str,
    *,
    actor: str,
    now: datetime,
    kb: str | Path | None = None,
    webhook: str | None = None,
) -> tuple[Path, EvidenceItem, str]:
    """Write the release's lessons page, rebuild the index, seal the page, announce it; returns
    (page path, evidence, announcement result)."""
    with store.read() as session:
        release_id = get_release(session, release_ref).id
    authorize(store, release_id, actor, PUBLISHERS, "publish lessons learned", now)
    with store.write() as session:
        release = get_release(session, release_id)
        ensure_open(session, release_id, "publishing lessons learned")  # before the page is written
        plan = plan_of(release)
        retro = retrospective_of(session, release_id)
        if retro is None:
            raise VigilError(
                f"hold the retrospective first (`vigil retro {release.slug}`): lessons come from it"
            )
        folder = kb_root(kb, plan.governance.lessons.knowledge_base)
        actions = list(session.scalars(select(ActionItem).where(ActionItem.release_id == release_id)))
        filename = f"lessons-{release.slug}.md"
        text = render(
            "lessons.md.j2",
            release=release,
            retro=retro,
            actions=actions,
            now=now,
            tags=plan.governance.lessons.tags,
            version=len(versions(session, release_id, "lessons", filename)) + 1,
        )
        page = Path(release.service) / f"{release.slug}.md"
        meta = {
            "slug": release.slug,
            "service": release.service,
            "title": release.name,
            "version": release.version,
            "published_at": now.isoformat(),
            "published_by": actor,
            "page": page.as_posix(),
            "tags": list(plan.governance.lessons.tags),
            "summary": _summary(retro.findings),
        }
        _write_page(folder, page, text, meta)
        rebuild_index(folder)
        item, _ = seal_version(session, root, release_id, kind="lessons", requirement_ids=["PM-30"],
                               filename=filename, media_type="text/markdown",
                               render=lambda _version, _at: text.encode(), creator=actor, now=now,
                               only_if_changed=False)
        hook = webhook or plan.governance.lessons.webhook
        announced = _announce(hook, meta, folder) if hook else ""
        session.add(
            LessonsPublication(
                release_id=release_id,
                published_at=now,
                published_by=actor,
                knowledge_base=str(folder.resolve()),
                page=page.as_posix(),
                announced=announced,
                evidence_id=item.id,
            )
        )
        audit(
            session,
            at=now,
            actor=actor,
            action="lessons.published",
            entity="release",
            entity_id=release_id,
            release_id=release_id,
            payload={
                "page": page.as_posix(),
                "kb": str(folder.resolve()),
                "evidence_id": item.id,
                "announced": announced,
            },
        )
        return folder / page, item, announced


def rebuild_index(folder: Path) -> list[dict[str, Any]]:
    entries = []
    for sidecar in sorted(folder.glob("*/*.json")):
        try:
            entries.append(json.loads(sidecar.read_text(encoding="utf-8")))
        except ValueError:
            continue  # a stray file someone dropped in the KB is not ours to judge
    entries.sort(key=lambda e: (e.get("service", ""), e.get("published_at", "")), reverse=False)
    text = render("lessons_index.md.j2", entries=entries, services=sorted({e["service"] for e in entries}))
    _atomic_write(folder / "index.md", text)
    _atomic_write(folder / "index.html", _html("Lessons learned", text))
    return entries


@dataclass(frozen=True)
class Hit:
    title: str
    service: str
    path: Path
    score: int
    lines: list[str]


def search(folder: Path, query: str, limit: int = 20) -> list[Hit]:
    """Pages containing every word of ``query`` (case-insensitive), most mentions first."""
    terms = [t.lower() for t in re.findall(r"\w+", query)]
    if not terms:
        raise VigilError("give some words to search for")
    if not folder.is_dir():
        raise VigilError(f"no knowledge base at {folder} (publish lessons first, or pass --kb)")
    hits = []
    for page in sorted(folder.glob("*/*.md")):
        text = page.read_text(encoding="utf-8")
        lower = text.lower()
        if not all(t in lower for t in terms):
            continue
        lines = [ln.strip() for ln in text.splitlines() if any(t in ln.lower() for t in terms)]
        title = text.splitlines()[0].lstrip("# ").strip() if text else page.stem
        hits.append(Hit(title, page.parent.name, page, sum(lower.count(t) for t in terms), lines[:3]))
    return sorted(hits, key=lambda h: -h.score)[:limit]


def _summary(findings: list[dict[str, Any]]) -> str:
    improve = [f["text"] for f in findings if f["category"] == "improve"]
    return improve[0] if improve else "No issues found in the recorded data."


def _write_page(folder: Path, page: Path, text: str, meta: dict[str, Any]) -> None:
    target = folder / page
    target.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(target, text)
    _atomic_write(target.with_suffix(".html"), _html(meta["title"], text))
    _atomic_write(target.with_suffix(".json"), json.dumps(meta, indent=2, ensure_ascii=False))


def _html(title: str, markdown: str) -> str:
    body = safe_html(markdown)  # user text (learnings, action titles, names) must not carry markup
    # Links between pages are written as .md so the folder also reads well on a Git host; the HTML
    # copy points at the HTML siblings.
    body = re.sub(r'href="([^"]+)\.md"', r'href="\1.html"', body)
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        "<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}</style></head>"
        f"<body>\n{body}</body></html>\n"
    )


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def _announce(url: str, meta: dict[str, Any], folder: Path) -> str:
    """POST the page's metadata; a failed announcement is recorded, it does not undo the publication."""
    import httpx

    payload = {
        **meta,
        "text": f"Lessons learned published: {meta['title']} ({meta['service']})",
        "location": str((folder / meta["page"]).resolve()),
    }
    try:
        response = httpx.post(url, json=payload, timeout=10)
    except httpx.HTTPError as exc:
        return f"failed: {type(exc).__name__}: {exc}"[:200]
    return f"{response.status_code}" if response.is_success else f"failed: HTTP {response.status_code}"
