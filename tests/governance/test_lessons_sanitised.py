"""Published lessons-learned HTML is sanitised: user text cannot put script into the organisation-wide page."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vigil.governance.lessons import publish
from vigil.governance.markup import safe_html
from vigil.retro.service import draft
from xss_payloads import PAYLOADS, active_content


@settings(max_examples=300, deadline=None)
@given(
    before=st.text(max_size=30),
    payload=st.sampled_from(PAYLOADS),
    after=st.text(max_size=30),
    wrap=st.sampled_from(["{}", "- {}", "| {} | b |\n|---|---|\n| {} | c |", "> {}", "# {}", "**{}**"]),
)
def test_no_payload_survives_the_renderer_anywhere_in_markdown(before, payload, after, wrap):
    markdown = wrap.replace("{}", before + payload + after)
    assert active_content(safe_html(markdown)) == []


def test_plain_markdown_still_renders():
    html = safe_html("# T\n\n- item [page](other.md) and [site](https://example.org)\n\n| a | b |\n|:-|-:|\n| 1 | 2 |")
    assert "<h1>T</h1>" in html and "<li>item" in html and 'href="other.md"' in html
    assert 'href="https://example.org"' in html and "<table>" in html and 'style="text-align:right"' in html


def test_every_payload_in_learnings_is_inert_on_the_page_and_the_index(watched, tmp_path):
    kb, root = tmp_path / "kb", tmp_path / "ev"
    learnings = [(category, payload) for payload in PAYLOADS for category in ("worked", "improve")]
    draft(watched.store, root, watched.slug, actor="Ravi Menon", now=watched.end, learnings=learnings)
    page, _, _ = publish(watched.store, root, watched.slug, actor="Ana Costa", now=watched.end, kb=kb)

    html = page.with_suffix(".html").read_text()
    assert active_content(html, allow=frozenset({"style"})) == []  # the page's own stylesheet only
    assert html.count("<style>") == 1
    # The text is kept, visible as text, not dropped: a reader sees what the participant wrote.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    index = (kb / "index.html").read_text()
    assert active_content(index, allow=frozenset({"style"})) == [] and index.count("<style>") == 1
