# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/certificate_report.yml run by real ansible-playbook on the demo certificate set.

tools/demo_certificates.py makes the set relative to the real clock (the playbook's module reads
the wall clock), so the day counts asserted here are exact whole days with hours of slack.
"""
from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = os.path.join(REPO, "playbooks", "certificate_report.yml")
BIN = os.path.dirname(sys.executable)
PFX = "service-communications-sts.contoso.com.pfx"
ALL_FILES = ["adfs-token-signing.cer", "expired-legacy.contoso.com.cer", "expiring-mail.contoso.com.pem", "healthy-web.contoso.com.pem",
             PFX, "sha1-old-app.contoso.com.pem", "weak-rsa1024-intranet.contoso.com.pem"]


def ansible_env():
    """The environment `make test` sets, filled in when pytest runs outside make."""
    default_paths = os.pathsep.join([os.path.join(REPO, ".build", "collections"), os.path.join(REPO, ".collections")])
    env = dict(os.environ, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="False", ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_NOCOLOR="1")
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", default_paths)
    env["PATH"] = BIN + os.pathsep + env.get("PATH", "")
    return env


def run_playbook(*extra):
    """ansible-playbook on the report playbook; returns the finished process."""
    command = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", PLAYBOOK, *extra]
    return subprocess.run(command, capture_output=True, text=True, env=ansible_env(), cwd=REPO, check=False, timeout=300)


@pytest.fixture(name="demo", scope="module")
def fixture_demo(tmp_path_factory):
    """The demo set, its vars, one verbose playbook run and the report it wrote."""
    workdir = tmp_path_factory.mktemp("certificate-report")
    subprocess.run([sys.executable, os.path.join(REPO, "tools", "demo_certificates.py"), str(workdir)], check=True, capture_output=True)
    with open(workdir / "demo-vars.json", encoding="utf-8") as handle:
        demo_vars = json.load(handle)
    done = run_playbook("-v", "-e", f"@{workdir / 'demo-vars.json'}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with open(demo_vars["certificate_report_output"], encoding="utf-8") as handle:
        report = json.load(handle)
    entries = {entry["file"]: entry for entry in report["certificates"]}
    return {"vars": demo_vars, "vars_file": workdir / "demo-vars.json", "run": done, "report": report, "entries": entries}


def codes(entry):
    """The violation codes of one report entry."""
    return sorted(violation["code"] for violation in entry["violations"])


def test_report_lists_every_demo_certificate(demo):
    assert sorted(demo["entries"]) == ALL_FILES
    assert all(entry["error"] is None and len(entry["thumbprint"]) == 40 for entry in demo["entries"].values())


@pytest.mark.parametrize(("file_name", "days"), [
    ("healthy-web.contoso.com.pem", 335),
    ("expiring-mail.contoso.com.pem", 10),
    ("adfs-token-signing.cer", 25),
    (PFX, 305),
    ("expired-legacy.contoso.com.cer", -35),
])
def test_report_gives_days_left(demo, file_name, days):
    assert demo["entries"][file_name]["days_remaining"] == days


@pytest.mark.parametrize(("file_name", "expected"), [
    ("healthy-web.contoso.com.pem", []),
    (PFX, []),
    ("weak-rsa1024-intranet.contoso.com.pem", ["weak_key"]),
    ("sha1-old-app.contoso.com.pem", ["weak_signature_hash"]),
    ("expiring-mail.contoso.com.pem", ["too_little_validity"]),
    ("adfs-token-signing.cer", ["too_little_validity"]),
    ("expired-legacy.contoso.com.cer", ["expired"]),
])
def test_report_gives_policy_violations(demo, file_name, expected):
    assert codes(demo["entries"][file_name]) == expected
    assert all(violation["reason"] for violation in demo["entries"][file_name]["violations"])


def test_report_gives_adfs_rollover_dates_for_token_signing_only(demo):
    entries = demo["entries"]
    schedule = entries["adfs-token-signing.cer"]["adfs_rollover"]
    not_after = datetime.datetime.fromisoformat(entries["adfs-token-signing.cer"]["not_after"].replace("Z", "+00:00"))
    assert schedule["generation_date"][:10] == (not_after - datetime.timedelta(days=20)).date().isoformat()
    assert schedule["promotion_date"][:10] == (not_after - datetime.timedelta(days=15)).date().isoformat()
    assert schedule["critical_date"][:10] == (not_after - datetime.timedelta(days=2)).date().isoformat()
    assert [name for name, entry in entries.items() if entry["adfs_rollover"]] == ["adfs-token-signing.cer"]


def test_report_reads_the_pfx_with_its_password(demo):
    entry = demo["entries"][PFX]
    assert entry["has_private_key"] is True
    assert entry["subject"] == "CN=sts.contoso.com,O=Contoso Ltd"


def test_report_normalises_pasted_thumbprints(demo):
    pasted = demo["report"]["pasted_thumbprints"]
    assert [item["pasted"] for item in pasted] == demo["vars"]["certificate_report_thumbprints"]
    assert pasted[0]["pasted"].startswith("\u200e")
    expected = [demo["entries"][name]["thumbprint"] for name in ("healthy-web.contoso.com.pem", "adfs-token-signing.cer")]
    assert [item["thumbprint"] for item in pasted] == expected
    assert [item["files"] for item in pasted] == [["healthy-web.contoso.com.pem"], ["adfs-token-signing.cer"]]


def test_summary_names_every_certificate_and_its_days_left(demo):
    for name, entry in demo["entries"].items():
        assert f"{name}: {entry['thumbprint']}" in demo["run"].stdout
    assert "expiring-mail.contoso.com.pem: " in demo["run"].stdout and "| 10 days left |" in demo["run"].stdout
    assert "AD FS auto-rollover: new certificates" in demo["run"].stdout


def test_pfx_password_appears_nowhere(demo):
    password = demo["vars"]["certificate_report_passwords"][PFX]
    with open(demo["vars"]["certificate_report_output"], encoding="utf-8") as handle:
        written = handle.read()
    assert password not in demo["run"].stdout + demo["run"].stderr + written


def test_report_is_private_to_its_owner(demo):
    assert os.stat(demo["vars"]["certificate_report_output"]).st_mode & 0o077 == 0


def test_report_is_written_in_check_mode(demo, tmp_path):
    output = tmp_path / "check-mode.json"
    done = run_playbook("--check", "-e", f"@{demo['vars_file']}", "-e", f"certificate_report_output={output}")
    assert done.returncode == 0, done.stdout[-3000:]
    with open(output, encoding="utf-8") as handle:
        assert sorted(entry["file"] for entry in json.load(handle)["certificates"]) == ALL_FILES


def test_unreadable_file_is_reported_not_fatal(tmp_path):
    (tmp_path / "not-a-certificate.pem").write_text("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")
    done = run_playbook("-e", f"certificate_report_dir={tmp_path}")
    assert done.returncode == 0, done.stdout[-3000:]
    with open(tmp_path / "certificate-report.json", encoding="utf-8") as handle:
        entry = json.load(handle)["certificates"][0]
    assert entry["file"] == "not-a-certificate.pem" and entry["thumbprint"] is None and entry["error"]


def test_missing_folder_fails_with_one_clear_message():
    done = run_playbook()
    assert done.returncode != 0
    assert "Set certificate_report_dir" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
