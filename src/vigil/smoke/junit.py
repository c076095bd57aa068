"""Read JUnit XML from any test runner (pytest, Maven Surefire, Jest, Go's gotestsum…).

Parsed with defusedxml: a file that declares entities (billion laughs, quadratic blow-up) or points at
external ones is refused with a clear error before anything is expanded.
Both ``<testsuites>`` and a lone ``<testsuite>`` root are accepted; ``<failure>`` and ``<error>`` fail a
case, ``<skipped>`` skips it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from vigil.errors import VigilError


class JUnitError(VigilError):
    """A file that is not JUnit XML."""


@dataclass(frozen=True)
class JUnitCase:
    name: str
    outcome: str  # passed | failed | error | skipped
    duration_ms: float | None
    message: str


def parse_junit(content: bytes, name: str = "results.xml") -> list[JUnitCase]:
    try:
        root = fromstring(content)
    except ET.ParseError as exc:
        raise JUnitError(f"{name}: not valid XML ({exc})") from None
    except DefusedXmlException as exc:  # entity declarations or external references: never expanded
        raise JUnitError(f"{name}: refused, the XML declares entities or external references ({exc})") from None
    if root.tag not in {"testsuites", "testsuite"}:
        raise JUnitError(f"{name}: root element is <{root.tag}>, expected <testsuites> or <testsuite>")
    cases = [_case(el) for el in root.iter("testcase")]
    if not cases:
        raise JUnitError(f"{name}: contains no <testcase> elements")
    return cases


def _case(el: ET.Element) -> JUnitCase:
    classname, name = el.get("classname", ""), el.get("name", "unnamed")
    full = f"{classname}.{name}" if classname else name
    outcome, message = "passed", ""
    for tag in ("failure", "error", "skipped"):
        child = el.find(tag)
        if child is not None:
            outcome = "failed" if tag == "failure" else tag
            first_line = (child.text or "").strip().split("\n")[0]
            message = child.get("message") or first_line or tag
            break
    return JUnitCase(full, outcome, _millis(el.get("time")), message[:500])


def _millis(value: str | None) -> float | None:
    try:
        return float(value.replace(",", "")) * 1000 if value else None
    except ValueError:
        return None
