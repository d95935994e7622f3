# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The wfm_sharepoint role's preflight refuses bad inputs before any change, each with its message.

One lab serves every case: a refused run changes nothing, which the audit of each run proves.
"""
from __future__ import annotations

import os
import socket

import pytest
import yaml

from certops_lab.lab import LabInstance
from certops_lab.pki import resign_with_sha1
from certops_lab.pytest_plugin import Lab, resolve_topology
from certops_lab.topology import load_topology
from wfm_sharepoint_lab import ROTATE, dump, failure_messages, farms, mutating, role_vars, topology, write_pfx

MISSING_THUMBPRINT = "0123456789ABCDEF0123456789ABCDEF01234567"


@pytest.fixture(name="shared_lab", scope="module")
def shared_lab_fixture(tmp_path_factory):
    directory = tmp_path_factory.mktemp("wfm_sharepoint_preflight")
    lab = Lab(LabInstance(load_topology(resolve_topology(topology())), str(directory / "lab")).start())
    lab.files = directory
    yield lab
    lab.stop()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def unreachable_inventory(lab, host: str) -> str:
    """A second inventory that points ``host`` at a port nobody listens on."""
    path = os.path.join(str(lab.files), f"unreachable-{host}.yml")
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump({"all": {"hosts": {host: {"ansible_port": closed_port()}}}}, handle)
    return path


# id -> (PFX options or None, role variables, expected words of the message)
CASES = {
    "wrong_pfx_password": ({}, {"wfm_sharepoint_pfx_password": "not-the-password"}, "the PFX password is wrong or missing"),
    "expired": ({"days": 10, "starts_in_days": -20}, {}, "the certificate expired on"),
    "weak_key": ({"key_size": 1024}, {}, "RSA key of 1024 bits is below the minimum of 2048"),
    "sha1_signature": ({"sha1": True}, {}, "signed with sha1, which is not allowed"),
    "no_private_key": ({"with_key": False}, {}, "no private key was found with the certificate"),
    "not_yet_valid": ({"starts_in_days": 5}, {}, "the certificate is not valid before"),
    "too_few_days": ({"days": 10}, {}, "fewer than the required 30"),
    "wrong_key_usage": ({"usages": ("key_encipherment",)}, {}, "needs the digitalSignature key usage"),
    "missing_file": (None, {"wfm_sharepoint_pfx_path": "/nonexistent/new.pfx"}, "/nonexistent/new.pfx does not exist"),
    "directory_as_pfx": (None, {"wfm_sharepoint_pfx_path": "/tmp"}, "/tmp is a directory"),
    "malformed_thumbprint": (None, {"wfm_sharepoint_thumbprint": "XY" + MISSING_THUMBPRINT[2:]}, "is not a hexadecimal digit"),
    "short_thumbprint": (None, {"wfm_sharepoint_thumbprint": MISSING_THUMBPRINT[:-1]}, "has 39 hex digits, expected 40"),
    "empty_thumbprint": (None, {"wfm_sharepoint_thumbprint": "  "}, "no new certificate given"),
    "pfx_and_thumbprint": ({}, {"wfm_sharepoint_thumbprint": MISSING_THUMBPRINT}, "give only one of them"),
    "thumbprint_not_installed": (None, {"wfm_sharepoint_thumbprint": MISSING_THUMBPRINT}, "is not in LocalMachine\\My on wfm01"),
    "unknown_group": ({}, {"wfm_sharepoint_wfm_group": "wfm_typo"}, "inventory group 'wfm_typo' (wfm_sharepoint_wfm_group) is unknown"),
    "service_uri_unreachable": ({}, {"wfm_sharepoint_service_uri": "https://wfm-old.lab.test:12290/"},
                                "Workflow Manager did not answer at the service URI 'https://wfm-old.lab.test:12290/'"),
    "bad_registered_issuer_name": ({}, {"wfm_sharepoint_registered_issuer_name": "workflow@*"}, "registered_issuer_name"),
    "pfx_content_not_base64": (None, {"wfm_sharepoint_pfx_content": "MIIK not base64 !", "wfm_sharepoint_pfx_password": "Some-Passw0rd"},
                               "wfm_sharepoint_pfx_content: the input is neither PEM nor base64"),
    "pfx_content_and_path": ({}, {"wfm_sharepoint_pfx_content": "TUlJSw=="}, "are set together; give only one of them"),
    "unknown_is_self_issuer": ({}, {"wfm_sharepoint_is_self_issuer": "perhaps"}, "give true, false or leave it empty"),
}


def bad_input_vars(lab, case: str, pfx_options) -> dict:
    if pfx_options is None:
        return role_vars()
    options = dict(pfx_options)
    path = os.path.join(str(lab.files), f"{case}.pfx")
    if options.pop("sha1", False):
        write_pfx(path, resign=resign_with_sha1, **options)
    else:
        write_pfx(path, **options)
    return role_vars(path)


def assert_refused_without_change(lab, run, audited: int, before: dict, message: str) -> None:
    assert run.returncode != 0, dump(run)
    assert message in failure_messages(run), failure_messages(run)
    # One clear refusal: no censored no_log failure before it, no Ansible wrapping around it, no traceback; then the
    # playbook's last task prints the estate plan and names the product that stopped (playbooks/rotate.yml runs every
    # enabled product).
    *lines, stopped = failure_messages(run).splitlines()
    refusals = lines[:next(index for index, line in enumerate(lines) if line.startswith("certops estate plan:"))]
    assert len(refusals) == failure_messages(run).count("preflight:") and stopped.startswith("Stopped: wfm_sharepoint."), failure_messages(run)
    assert "censored" not in run.stdout and "Finalization of task args" not in run.stdout and "Traceback" not in run.stdout + run.stderr
    assert mutating(lab.audit()[audited:]) == []
    assert farms(lab) == before and lab.violations() == []


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_refused_before_any_change(shared_lab, case):
    pfx_options, overrides, message = CASES[case]
    variables = dict(bad_input_vars(shared_lab, case, pfx_options), **overrides)
    audited, before = len(shared_lab.audit()), farms(shared_lab)
    run = shared_lab.run_playbook(ROTATE, extra_vars=variables)
    assert_refused_without_change(shared_lab, run, audited, before, message)


def test_certificate_equal_to_the_current_one_is_refused(shared_lab):
    current = farms(shared_lab)["wfm"]["current"]
    audited, before = len(shared_lab.audit()), farms(shared_lab)
    run = shared_lab.run_playbook(ROTATE, extra_vars=role_vars(wfm_sharepoint_thumbprint=current.lower()))
    assert_refused_without_change(shared_lab, run, audited, before, f"certificate {current} is already Workflow Manager's current outbound")


def test_unreachable_sharepoint_host_stops_every_host(shared_lab):
    path = os.path.join(str(shared_lab.files), "reachable.pfx")
    write_pfx(path)
    audited, before = len(shared_lab.audit()), farms(shared_lab)
    run = shared_lab.run_playbook(ROTATE, "-i", unreachable_inventory(shared_lab, "sp02"), extra_vars=role_vars(path))
    assert_refused_without_change(shared_lab, run, audited, before, "preflight: sp02 is unreachable over WinRM")
