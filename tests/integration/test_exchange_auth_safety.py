# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The exchange_auth role keeps the exported PFX's password random and out of every output and lab file, sends values
to PowerShell only as parameters, and never lets the SMTP default certificate go."""
from __future__ import annotations

import glob
import hashlib
import json
import os

import pytest

from ansible_collections.certops.microsoft.plugins.plugin_utils._scripts import load_script, shipped_script_names
from exchange_auth_lab import HOSTS, Rotation, dump, mutating, organisation, topology, transports

HOSTILE_MAILBOX = "probe'; Remove-ExchangeCertificate -Thumbprint *; $(whoami) `n\"@lab.test"


@pytest.fixture(name="rotation")
def rotation_fixture(lab_factory, tmp_path):
    return Rotation(lab_factory(topology(current_days=-3)), tmp_path)


def lab_files(lab) -> list:
    return [path for path in glob.glob(os.path.join(lab.state_dir, "**"), recursive=True) if os.path.isfile(path)]


def test_exported_pfx_passwords_are_random_and_appear_in_no_output_audit_or_lab_file(rotation):
    run = rotation.run("-vvv")
    assert run.returncode == 0, dump(run)
    second = Rotation(rotation.lab, rotation.lab.state_dir)
    organisation(rotation.lab).server_of_host("ex03").imported.clear()
    rotation.lab.instance.runtime.estate.hosts["ex03"].store("LocalMachine", "My").remove(organisation(rotation.lab).auth.current)
    repaired = second.run("-vvv")               # ex03 lost the certificate: a second apply imports it again
    assert repaired.returncode == 0, dump(repaired)
    passwords = organisation(rotation.lab).secrets_seen
    # One password per apply task (the two imports of the first run share theirs), each a fresh 256-bit random value.
    assert len(passwords) == 3 and len(set(passwords)) == 2 and all(len(password) >= 43 for password in passwords)
    shown = run.stdout + run.stderr + repaired.stdout + repaired.stderr + json.dumps(rotation.lab.audit())
    files = lab_files(rotation.lab)
    assert any(path.endswith("audit.jsonl") for path in files) and any(path.endswith("state.json") for path in files)
    for password in set(passwords):
        assert password not in shown
        assert [path for path in files if password.encode() in open(path, "rb").read()] == []
    imports = [record for record in rotation.lab.audit() if record["script"] == "exchange_auth_certificate_import"]
    assert imports and all(record["parameters"]["sensitive_parameters"] == "********" for record in imports)


def test_a_hostile_mailbox_name_reaches_powershell_only_as_a_parameter(rotation):
    run = rotation.run(exchange_auth_test_mailbox=HOSTILE_MAILBOX)
    assert run.returncode == 0, dump(run)
    probes = [record for record in rotation.lab.audit() if record["script"] == "exchange_auth_get" and record["parameters"]["parameters"].get("Probe")]
    assert probes and {record["parameters"]["parameters"]["Mailbox"] for record in probes} == {HOSTILE_MAILBOX}
    digests = {hashlib.sha256(load_script(name).encode("utf-8")).hexdigest()[:16] for name in shipped_script_names()}
    assert {record["parameters"]["script"].rsplit(" ", 1)[-1].rstrip(">") for record in rotation.lab.audit()} <= digests


def test_the_smtp_default_certificate_of_every_server_is_the_same_before_and_after(rotation):
    before = transports(rotation.lab)
    assert rotation.run().returncode == 0 and rotation.run(exchange_auth_cleanup=True).returncode == 0
    assert transports(rotation.lab) == before and all(before[host] for host in HOSTS)
    assert not [record for record in mutating(rotation.lab.audit()) if record["violations"]]
