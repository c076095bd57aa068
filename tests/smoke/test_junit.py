"""JUnit XML from any runner: parsed, stored per case, the raw file sealed as DEP-02 evidence."""

from __future__ import annotations

import pytest

from vigil.evidence.archive import blob_path
from vigil.smoke.junit import JUnitError, parse_junit
from vigil.smoke.service import import_junit

PYTEST_XML = b"""<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests">
<testsuite name="pytest" errors="1" failures="1" skipped="1" tests="4" time="1.234">
<testcase classname="smoke.test_api" name="test_health" time="0.120"/>
<testcase classname="smoke.test_api" name="test_checkout" time="0.500">
  <failure message="assert 500 == 200">AssertionError: assert 500 == 200</failure></testcase>
<testcase classname="smoke.test_api" name="test_login" time="0.010">
  <error message="ConnectionRefused"/></testcase>
<testcase classname="smoke.test_api" name="test_beta" time="0">
  <skipped message="feature flag off"/></testcase>
</testsuite></testsuites>"""

SUREFIRE_XML = b"""<testsuite name="com.example.SmokeIT" tests="2" failures="0">
<testcase name="pays" classname="com.example.SmokeIT" time="1,204.5"/>
<testcase name="refunds" classname="com.example.SmokeIT" time="0.3"/>
</testsuite>"""


def test_parses_outcomes_names_and_times():
    cases = parse_junit(PYTEST_XML)
    assert [(c.name, c.outcome) for c in cases] == [
        ("smoke.test_api.test_health", "passed"),
        ("smoke.test_api.test_checkout", "failed"),
        ("smoke.test_api.test_login", "error"),
        ("smoke.test_api.test_beta", "skipped"),
    ]
    assert cases[0].duration_ms == pytest.approx(120.0)
    assert cases[1].message == "assert 500 == 200" and cases[3].message == "feature flag off"
    assert parse_junit(SUREFIRE_XML)[0].duration_ms == pytest.approx(1_204_500.0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<testsuite><testcase", "not valid XML"),
        (b"<html><body/></html>", "root element is <html>"),
        (b"<testsuites><testsuite/></testsuites>", "no <testcase> elements"),
    ],
)
def test_files_that_are_not_junit_get_one_clear_error(content, message):
    with pytest.raises(JUnitError, match=message):
        parse_junit(content, "x.xml")


def test_external_entities_are_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<testsuite><testcase name="a"><failure message="&x;"/></testcase></testsuite>'
    ).encode()
    with pytest.raises(JUnitError):
        parse_junit(xxe)


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'.encode() for i in range(1, 10)
    )
    + b']><testsuite><testcase name="a"><failure message="&lol9;"/></testcase></testsuite>'
)


@pytest.mark.parametrize(
    "content",
    [
        BILLION_LAUGHS,
        # quadratic blow-up: one big entity referenced many times
        b'<!DOCTYPE t [<!ENTITY a "' + b"x" * 10_000 + b'">]><testsuite><testcase name="'
        + b"&a;" * 1000 + b'"/></testsuite>',
        # even a harmless-looking internal entity is refused: JUnit files have no use for them
        b'<!DOCTYPE t [<!ENTITY ok "fine">]><testsuite><testcase name="&ok;"/></testsuite>',
    ],
    ids=["billion-laughs", "quadratic", "internal-entity"],
)
def test_entity_declarations_are_refused_before_expansion(content, store, root, release, tmp_path):
    with pytest.raises(JUnitError, match="declares entities"):
        parse_junit(content, "evil.xml")
    path = tmp_path / "evil.xml"
    path.write_bytes(content)
    with store.read() as s:
        from vigil.smoke.models import SmokeRun

        before = s.query(SmokeRun).count()
    with pytest.raises(JUnitError):
        import_junit(store, root, release.slug, path, actor="Sam Okafor", now=release.started_at)
    with store.read() as s:
        assert s.query(SmokeRun).count() == before  # refused cleanly: nothing stored


def test_import_stores_the_run_and_seals_the_raw_file(store, root, release, clock, tmp_path):
    path = tmp_path / "results.xml"
    path.write_bytes(PYTEST_XML)
    run = import_junit(store, root, release.slug, path, actor="Sam Okafor", now=clock.now())
    assert (run.source, run.total, run.failed, run.skipped, run.passed) == ("junit", 4, 2, 1, False)
    with store.read() as s:
        from vigil.evidence.models import EvidenceItem

        item = s.get(EvidenceItem, run.evidence_id)
        assert item is not None and item.kind == "junit" and item.requirement_ids == ["DEP-02"]
        assert blob_path(root, item.sha256).read_bytes() == PYTEST_XML


def test_cli_import_reports_and_fails_on_failures(store, release, tmp_path, vigil_cli):
    good = tmp_path / "good.xml"
    good.write_bytes(SUREFIRE_XML)
    code, out = vigil_cli("smoke", "import", release.slug, str(good), "--as", "Sam Okafor", "--db", store.url)
    assert code == 0 and "2 passed, 0 failed" in out
    bad = tmp_path / "bad.xml"
    bad.write_bytes(PYTEST_XML)
    code, out = vigil_cli("smoke", "import", release.slug, str(bad), "--as", "Sam Okafor", "--db", store.url)
    assert code == 1 and "2 smoke check(s) failed" in out
    code, out = vigil_cli(
        "smoke", "import", release.slug, str(tmp_path / "nope.xml"), "--as", "Sam Okafor", "--db", store.url
    )
    assert code == 1 and "cannot read" in out
