"""An exported bundle checks with sha256sum; `vigil verify` fails and names what was tampered with."""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile

import pytest
from sqlalchemy import text

from vigil.evidence.archive import blob_path
from vigil.evidence.service import add_file

SHA256SUM = shutil.which("sha256sum")


@pytest.fixture
def with_evidence(store, root, release, clock, tmp_path):
    items = []
    for name, body in (("dashboard.json", b'{"panels": 12}'), ("rca.md", b"# RCA\nheap leak\n")):
        f = tmp_path / name
        f.write_bytes(body)
        items.append(
            add_file(
                store,
                root,
                release.slug,
                f,
                kind=name.split(".")[0],
                requirement_ids=["REQ-28"],
                actor="Ana Costa",
                now=clock.now(),
            )
        )
    return items


def test_export_folder_verifies_with_sha256sum_and_detects_tampering(
    store, vigil_cli, with_evidence, tmp_path
):
    assert SHA256SUM, "sha256sum (coreutils) is needed to check bundles the way an auditor does"
    bundle = tmp_path / "bundle"
    code, out = vigil_cli("evidence", "export", str(bundle), "--release", "checkout-2.3.0", "--db", store.url)
    assert code == 0, out
    check = subprocess.run([SHA256SUM, "-c", "MANIFEST.sha256"], cwd=bundle, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    # two files added by hand, the plan snapshot and the log sealed by default, manifest.json, audit.jsonl
    assert check.stdout.count(": OK") == 6
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert [i["kind"] for i in manifest["items"]] == ["dashboard", "rca", "plan_snapshot", "monitoring_log"]
    assert (
        manifest["items"][0]["requirements"] == ["REQ-28"] and manifest["items"][0]["creator"] == "Ana Costa"
    )
    audit_lines = (bundle / "audit.jsonl").read_text().splitlines()
    assert any(json.loads(line)["action"] == "evidence.archived" for line in audit_lines)

    victim = bundle / manifest["items"][1]["path"]
    victim.write_bytes(victim.read_bytes() + b" ")
    check = subprocess.run([SHA256SUM, "-c", "MANIFEST.sha256"], cwd=bundle, capture_output=True, text=True)
    assert check.returncode != 0 and f"{manifest['items'][1]['path']}: FAILED" in check.stdout


def test_export_tar_gz_contains_a_checkable_bundle(store, root, vigil_cli, with_evidence, tmp_path):
    target = tmp_path / "evidence.tar.gz"
    code, out = vigil_cli("evidence", "export", str(target), "--db", store.url)
    assert code == 0, out
    with tarfile.open(target) as tar:
        tar.extractall(tmp_path / "x", filter="data")
    check = subprocess.run(
        [SHA256SUM or "sha256sum", "-c", "MANIFEST.sha256"],
        cwd=tmp_path / "x" / "evidence",
        capture_output=True,
        text=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_export_refuses_a_damaged_archive(store, root, vigil_cli, with_evidence, tmp_path):
    path = blob_path(root, with_evidence[0].sha256)
    path.chmod(0o644)
    path.write_bytes(b'{"panels": 13}')
    code, out = vigil_cli("evidence", "export", str(tmp_path / "b"), "--db", store.url)
    assert code != 0 and "not exporting a damaged archive" in out and not (tmp_path / "b").exists()


def test_verify_passes_then_names_an_edited_archived_file(store, root, vigil_cli, with_evidence):
    code, out = vigil_cli("verify", "--db", store.url)
    assert code == 0 and "intact" in out
    path = blob_path(root, with_evidence[1].sha256)
    path.chmod(0o644)
    data = bytearray(path.read_bytes())
    data[0] ^= 0x20  # one byte: '#' becomes '\x03'
    path.write_bytes(bytes(data))
    code, out = vigil_cli("verify", "--db", store.url)
    assert code == 1
    assert f"evidence {with_evidence[1].id} (rca, rca.md)" in out and "was altered" in out
    assert f"evidence {with_evidence[0].id} " not in out


def test_verify_names_an_audit_row_edited_with_sql(store, vigil_cli, with_evidence):
    with store.write() as s:
        s.execute(text("UPDATE audit_log SET actor = 'Mallory' WHERE seq = 2"))
    code, out = vigil_cli("verify", "--db", store.url)
    assert code == 1 and "audit entry 2" in out and "altered" in out


def test_verify_names_a_removed_audit_row(store, vigil_cli, with_evidence):
    with store.write() as s:
        s.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    code, out = vigil_cli("verify", "--db", store.url)
    assert code == 1 and "expected 2 (missing or re-ordered)" in out
