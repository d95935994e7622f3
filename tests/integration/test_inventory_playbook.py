# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/inventory.yml run by real ansible-playbook against the lab over Basic, HTTPS and NTLM.

The reports are written by one run_once task on the controller (certops.microsoft.inventory_report)
that never contacts a host.

The lab makes its certificates relative to its own clock, while the action computes days left on
the controller; the runs pass the lab clock as ``certops_as_of`` so the day counts are exact, and
one run without it shows the default: the controller's wall clock.
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import stat

import pytest

from certops_lab.pytest_plugin import REPO_ROOT, resolve_topology

PLAYBOOK = os.path.join(REPO_ROOT, "playbooks", "inventory.yml")
HOSTS = ("basic01", "https01", "ntlm01")
TASK = "Read the certificate stores"
REPORT_TASK = "Write the reports"


def lab_topology() -> dict:
    topology = resolve_topology("small.yml")
    for host in ("basic01", "https01"):
        topology["hosts"][host]["certificates"][0]["exportable"] = False
    topology["hosts"]["ntlm01"]["certificates"] = [
        {"subject": "CN=ntlm01.lab.test | pipe", "not_after": "+90d", "exportable": True},
        # A key only its service account may open: the script warns and the inventory goes on.
        {"subject": "CN=locked.lab.test", "not_after": "+90d", "key_type": "ecdsa", "acl": ["LAB\\svc-locked"],
         "key_storage": "user"},
        {"subject": "CN=Lab Root Copy", "store_name": "Root", "self_signed": True, "private_key": False, "not_after": "+3000d"},
    ]
    return topology


@pytest.fixture(name="lab")
def fixture_lab(lab_factory, tmp_path):
    lab = lab_factory(lab_topology())
    lab.report_dir = str(tmp_path / "report dir")
    return lab


def run_inventory(lab, *args, check=False, as_of=True):
    extra_vars = {"certops_report_dir": lab.report_dir}
    if as_of:
        extra_vars["certops_as_of"] = lab_topology()["clock"]
    run = lab.run_playbook(PLAYBOOK, *args, check=check, extra_vars=extra_vars)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    return run


def stored_certificates(lab, host: str) -> dict:
    """Thumbprint -> store key ("LocalMachine\\My") of every certificate the lab holds for host in My, Root, CA."""
    found = {}
    for key, store in lab.state(host)["stores"].items():
        if key in ("LocalMachine\\My", "LocalMachine\\Root", "LocalMachine\\CA"):
            found.update({entry["thumbprint"]: key for entry in store["entries"]})
    return found


def report_result(run) -> dict:
    """The one result of the report task (run_once: it runs for a single host)."""
    results = run.results(REPORT_TASK)
    assert len(results) == 1, results
    return next(iter(results.values()))


def read_report(lab, name: str) -> str:
    with open(os.path.join(lab.report_dir, name), encoding="utf-8") as handle:
        return handle.read()


def test_inventory_playbook_reads_every_host_over_every_transport(lab):
    run = run_inventory(lab)
    results = run.results(TASK)
    for host in HOSTS:
        assert (run.stats[host]["failures"], run.stats[host]["unreachable"]) == (0, 0)
        listed = {cert["thumbprint"]: f"{cert['store_location']}\\{cert['store_name']}" for cert in results[host]["certificates"]}
        assert listed == stored_certificates(lab, host)
        assert results[host]["count"] == len(listed) and results[host]["changed"] is False


def test_inventory_parses_the_der_on_the_controller(lab):
    run = run_inventory(lab)
    basic = run.results(TASK)["basic01"]["certificates"]
    entry = next(cert for cert in basic if cert["subject"] == "CN=basic01.lab.test")
    assert entry["dns_names"] == ["basic01.lab.test"]
    assert entry["days_remaining"] == 335 and entry["violations"] == []
    assert (entry["has_private_key"], entry["key_provider"], entry["key_exportable"]) == (True, "CSP", False)
    stored = next(item for store in lab.state("basic01")["stores"].values() for item in store["entries"] if item["thumbprint"] == entry["thumbprint"])
    assert stored["exportable"] is False
    assert hashlib.sha1(base64.b64decode(stored["der"])).hexdigest().upper() == entry["thumbprint"]


def test_without_as_of_days_count_from_the_controller_clock(lab):
    not_after = datetime.datetime.fromisoformat(lab_topology()["clock"].replace("Z", "+00:00")) + datetime.timedelta(days=335)
    before = (not_after - datetime.datetime.now(datetime.timezone.utc)) // datetime.timedelta(days=1)
    run = run_inventory(lab, as_of=False)
    after = (not_after - datetime.datetime.now(datetime.timezone.utc)) // datetime.timedelta(days=1)
    entry = next(cert for cert in run.results(TASK)["basic01"]["certificates"] if cert["subject"] == "CN=basic01.lab.test")
    assert entry["days_remaining"] in (before, after)


def test_inventory_flags_a_certificate_with_too_little_validity(lab):
    run = run_inventory(lab)
    https = run.results(TASK)["https01"]["certificates"]
    expiring = next(cert for cert in https if cert["subject"] == "CN=https01.lab.test")
    assert expiring["days_remaining"] == 10
    assert [violation["code"] for violation in expiring["violations"]] == ["too_little_validity"]


def test_report_files_are_written_and_parse(lab):
    run_inventory(lab)
    report = json.loads(read_report(lab, "certificates.json"))
    assert sorted(report["hosts"]) == list(HOSTS) and report["not_inventoried"] == []
    assert report["certificate_count"] == sum(len(stored_certificates(lab, host)) for host in HOSTS)
    assert {cert["thumbprint"] for cert in report["hosts"]["ntlm01"]} == set(stored_certificates(lab, "ntlm01"))
    table = read_report(lab, "certificates.md")
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| host ")]
    assert len(rows) == report["certificate_count"]
    assert any("CN=ntlm01.lab.test \\| pipe" in row and "| yes |" in row for row in rows)
    assert any(row.startswith("| https01 | LocalMachine\\My | CN=https01.lab.test |") and row.endswith("| 10 | no | too_little_validity |")
               for row in rows)


def test_reports_are_written_in_one_controller_step_with_mode_0644(lab):
    run = run_inventory(lab)
    result = report_result(run)
    assert result["changed"] is True and result["not_inventoried"] == [] and sorted(result["hosts"]) == list(HOSTS)
    assert result["certificate_count"] == sum(len(stored_certificates(lab, host)) for host in HOSTS)
    assert [os.path.basename(path) for path in result["files"]] == ["certificates.json", "certificates.md"]
    assert sorted(os.listdir(lab.report_dir)) == ["certificates.json", "certificates.md"]  # no temporary file left behind
    assert all(stat.S_IMODE(os.stat(os.path.join(lab.report_dir, name)).st_mode) == 0o644 for name in os.listdir(lab.report_dir))
    # Only the inventory task reached the hosts: one WinRM execution each.
    assert {host: lab.call_count(host) for host in HOSTS} == {host: 1 for host in HOSTS}


def test_reports_hold_no_private_key_material(lab):
    run_inventory(lab)
    keys = [entry["private_key"] for host in HOSTS for store in lab.state(host)["stores"].values() for entry in store["entries"]
            if entry.get("private_key")]
    text = read_report(lab, "certificates.json") + read_report(lab, "certificates.md")
    assert "PRIVATE KEY" not in text
    assert all(key == "********" or key.splitlines()[1] not in text for key in keys)


def test_check_mode_changes_nothing(lab):
    before, audited = {host: lab.state(host) for host in HOSTS}, len(lab.audit())
    run = run_inventory(lab, check=True)
    assert {host: lab.state(host) for host in HOSTS} == before
    checked = lab.audit()[audited:]
    assert len(checked) == len(HOSTS) and all(record["check_mode"] and not record["mutating"] for record in checked)
    assert all(run.results(TASK)[host]["count"] == len(stored_certificates(lab, host)) for host in HOSTS)
    assert os.path.exists(os.path.join(lab.report_dir, "certificates.json"))
    assert report_result(run)["changed"] is True


def test_second_run_reports_no_change(lab):
    run_inventory(lab)
    second = run_inventory(lab)
    assert [second.stats[host]["changed"] for host in HOSTS] == [0, 0, 0]
    assert report_result(second)["changed"] is False


def test_unknown_store_fails_that_task_with_the_windows_message(lab):
    run = lab.run_playbook(PLAYBOOK, extra_vars={"certops_report_dir": lab.report_dir, "certops_store_names": ["My", "NoSuchStore"]})
    assert run.returncode != 0
    for host in HOSTS:
        result = run.results(TASK)[host]
        assert result["failed"] is True
        assert result["msg"].startswith("certops script windows_certificate_inventory failed on the target: ")
        assert "The system cannot find the file specified." in result["msg"]


@pytest.mark.parametrize("kind, message", [
    ("drop", "Remote end closed connection without response"),
    ("cmdlet-error", "certops script windows_certificate_inventory failed on the target: "),
])
def test_a_fault_on_one_host_is_reported_and_a_rerun_converges(lab, kind, message):
    lab.add_fault("basic01", lab.call_count("basic01") + 1, kind)
    broken = lab.run_playbook(PLAYBOOK, extra_vars={"certops_report_dir": lab.report_dir})
    assert broken.returncode != 0
    assert broken.stats["basic01"]["failures"] + broken.stats["basic01"]["unreachable"] == 1
    assert message in broken.results(TASK)["basic01"]["msg"]
    report = json.loads(read_report(lab, "certificates.json"))
    assert (sorted(report["hosts"]), report["not_inventoried"]) == (["https01", "ntlm01"], ["basic01"])
    assert report_result(broken)["not_inventoried"] == ["basic01"]
    assert "Not inventoried (failed or unreachable): basic01" in read_report(lab, "certificates.md")
    fixed = run_inventory(lab)
    assert [fixed.stats[host]["failures"] + fixed.stats[host]["unreachable"] for host in HOSTS] == [0, 0, 0]
    assert json.loads(read_report(lab, "certificates.json"))["not_inventoried"] == []


def test_inventory_runs_the_lean_read_runner_once_per_host(lab):
    audited = len(lab.audit())
    run_inventory(lab)
    records = lab.audit()[audited:]
    assert sorted(record["host"] for record in records) == list(HOSTS)
    assert {(record["module"], record["script"]) for record in records} == {("certops.microsoft.win_read_script", "windows_certificate_inventory")}


def test_playbook_variables_reach_the_inventory_and_may_hold_templates(lab):
    extra_vars = {"certops_report_dir": lab.report_dir, "certops_as_of": lab_topology()["clock"], "certops_store_names": ["My"],
                  "certops_min_days": "{{ 4 + 5 }}"}
    run = lab.run_playbook(PLAYBOOK, extra_vars=extra_vars)
    assert run.returncode == 0, run.stdout[-4000:]
    https = run.results(TASK)["https01"]["certificates"]
    assert {cert["store_name"] for host in HOSTS for cert in run.results(TASK)[host]["certificates"]} == {"My"}
    assert [cert["violations"] for cert in https if cert["subject"] == "CN=https01.lab.test"] == [[]]  # 10 days left, 9 required


def test_a_key_the_account_cannot_open_is_a_warning_not_a_failure(lab):
    run = run_inventory(lab)
    locked = next(cert for cert in run.results(TASK)["ntlm01"]["certificates"] if cert["subject"] == "CN=locked.lab.test")
    assert (locked["has_private_key"], locked["key_exportable"], locked["key_provider"]) == (True, None, None)
    assert run.results(TASK)["ntlm01"]["warnings"] == [f"private key of {locked['thumbprint']} could not be opened: Keyset does not exist"]
