# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Interrupted rotations: a fault at each mutating call of a rotation, of each relevant kind.

A reference rotation on a fresh lab lists the mutating calls (host and call number; the sequence
is the same on every fresh lab of the topology). Each case starts a fresh lab, plans one fault at
one of those calls, and checks that the run fails clearly, that a re-run without the fault
converges, and that no invariant is violated at any moment of either run.
"""
from __future__ import annotations

import time

import pytest

from certops_lab.lab import LabInstance
from certops_lab.pytest_plugin import Lab, resolve_topology
from certops_lab.topology import load_topology
from wfm_sharepoint_lab import ROTATE, dump, failure_messages, farms, issuer_thumbprints, mutating, role_vars, topology, write_pfx

# Transport faults hit any module; a cmdlet error only what runs PowerShell cmdlets (the certops scripts).
TRANSPORT_KINDS = ("drop", "http500")
SCRIPT_KINDS = TRANSPORT_KINDS + ("cmdlet-error",)
# The mutating calls of a fresh rotation, in order (checked against the reference run below).
MUTATING_STEPS = (
    ("wfm01", "ansible.windows.win_copy", None),
    ("wfm01", "ansible.windows.win_certificate_store", None),
    ("wfm01", "ansible.windows.win_file", None),
    ("wfm01", "ansible.windows.win_powershell", "windows_certificate_key_access"),
    ("sp01", "ansible.windows.win_powershell", "sp_trusted_root_authority_set"),
    ("sp01", "ansible.windows.win_powershell", "sp_trusted_security_token_issuer_set"),
    ("wfm01", "ansible.windows.win_powershell", "wfm_outbound_certificate_set"),
)
CASES = [(index, kind) for index, step in enumerate(MUTATING_STEPS) for kind in (SCRIPT_KINDS if step[2] else TRANSPORT_KINDS)]


def started_lab(lab_factory, tmp_path):
    lab = lab_factory(topology(), transports="basic")
    lab.pfx_path = str(tmp_path / "new.pfx")
    lab.new_thumbprint = write_pfx(lab.pfx_path)
    return lab


def call_number(record: dict) -> int:
    return int(record["call_id"].rsplit("#", 1)[1])


@pytest.fixture(name="reference_calls", scope="module")
def reference_calls_fixture(tmp_path_factory):
    """(host, call number) of each mutating call of an uninterrupted rotation on a fresh lab."""
    directory = tmp_path_factory.mktemp("wfm_sharepoint_reference")
    lab = Lab(LabInstance(load_topology(resolve_topology(topology(), "basic")), str(directory / "lab")).start())
    try:
        pfx_path = str(directory / "new.pfx")
        write_pfx(pfx_path)
        run = lab.run_playbook(ROTATE, extra_vars=role_vars(pfx_path))
        assert run.returncode == 0, dump(run)
        calls = mutating(lab.audit())
    finally:
        lab.stop()
    assert [(record["host"], record["module"], record["script"]) for record in calls] == list(MUTATING_STEPS)
    return [(record["host"], call_number(record)) for record in calls]


@pytest.mark.parametrize("index, kind", CASES, ids=[f"{MUTATING_STEPS[index][2] or MUTATING_STEPS[index][1]}-{kind}" for index, kind in CASES])
def test_interrupted_rotation_fails_clearly_and_a_rerun_converges_without_violations(lab_factory, tmp_path, reference_calls, index, kind):
    lab = started_lab(lab_factory, tmp_path)
    host, number = reference_calls[index]
    lab.add_fault(host, at_call=number, kind=kind)
    started = time.monotonic()
    interrupted = lab.run_playbook(ROTATE, extra_vars=role_vars(lab.pfx_path))
    assert interrupted.returncode != 0, dump(interrupted)
    assert failure_messages(interrupted).strip(), dump(interrupted)
    assert lab.instance.call_counts()[host] >= number  # the planned fault was reached
    resumed = lab.run_playbook(ROTATE, extra_vars=role_vars(lab.pfx_path))
    assert resumed.returncode == 0, dump(resumed)
    assert farms(lab)["wfm"]["current"] == lab.new_thumbprint and lab.new_thumbprint in issuer_thumbprints(lab)
    assert lab.violations() == []
    print(f"\n{MUTATING_STEPS[index]} {kind}: interrupted + resumed in {time.monotonic() - started:.1f}s")
