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
import fault_matrix
from wfm_sharepoint_lab import ROTATE, dump, failure_messages, farms, issuer_thumbprints, mutating, role_vars, topology, write_pfx

# Every mutating call of a fresh rotation is a certops script. drop, http500 and cmdlet-error fail it
# before it changes anything; drop-after and timeout-after apply it and lose the answer.
KINDS = ("drop", "http500", "cmdlet-error", "drop-after", "timeout-after")
# The mutating calls of a fresh rotation, per host (calls are counted per host, so the numbers do not
# depend on how the hosts of a wave interleave); checked against the reference run below.
MUTATING_STEPS = (
    ("wfm01", 2, "windows_certificate_import"),
    ("sp01", 2, "sp_trusted_root_authority_set"),
    ("sp01", 3, "sp_trusted_security_token_issuer_set"),
    ("wfm01", 3, "wfm_outbound_certificate_set"),
)
CASES = fault_matrix.cases(len(MUTATING_STEPS), KINDS)
# pywinrm gives up reading a held reply after connection timeout + 10 s.
SHORT_TIMEOUT = {"ansible_winrm_connection_timeout": 5}


def started_lab(lab_factory, tmp_path):
    lab = lab_factory(topology(), transports="basic")
    lab.pfx_path = str(tmp_path / "new.pfx")
    lab.new_thumbprint = write_pfx(lab.pfx_path)
    return lab


def call_number(record: dict) -> int:
    return int(record["call_id"].rsplit("#", 1)[1])


@pytest.fixture(name="reference_calls", scope="module")
def reference_calls_fixture(tmp_path_factory):
    """The mutating calls of an uninterrupted rotation on a fresh lab, as (host, call number, script)."""
    directory = tmp_path_factory.mktemp("wfm_sharepoint_reference")
    lab = Lab(LabInstance(load_topology(resolve_topology(topology(), "basic")), str(directory / "lab")).start())
    try:
        pfx_path = str(directory / "new.pfx")
        write_pfx(pfx_path)
        run = lab.run_playbook(ROTATE, extra_vars=role_vars(pfx_path))
        assert run.returncode == 0, dump(run)
        calls = sorted((record["host"], call_number(record), record["script"]) for record in mutating(lab.audit()))
    finally:
        lab.stop()
    assert calls == sorted(MUTATING_STEPS)
    return MUTATING_STEPS


def expected_words(kind: str) -> str:
    """What the failure must say: a lost answer may have taken effect; any other fault changed nothing."""
    return "may or may not have taken effect" if kind.endswith("-after") or kind == "drop" else "failed and changed nothing"


@pytest.mark.parametrize("index, kind", CASES, ids=[f"{MUTATING_STEPS[index][2]}-{kind}" for index, kind in CASES])
def test_interrupted_rotation_fails_clearly_and_a_rerun_converges_without_violations(lab_factory, tmp_path, reference_calls, index, kind):
    lab = started_lab(lab_factory, tmp_path)
    host, number, script = reference_calls[index]
    lab.add_fault(host, at_call=number, kind=kind)
    started = time.monotonic()
    interrupted = lab.run_playbook(ROTATE, extra_vars=role_vars(lab.pfx_path, **SHORT_TIMEOUT))
    assert interrupted.returncode != 0, dump(interrupted)
    message = failure_messages(interrupted)
    assert f"({host}: " in message and "Re-run the same play" in message, message
    assert "Traceback" not in interrupted.stdout + interrupted.stderr
    assert lab.instance.call_counts()[host] >= number  # the planned fault was reached
    resumed = lab.run_playbook(ROTATE, extra_vars=role_vars(lab.pfx_path))
    assert resumed.returncode == 0, dump(resumed)
    assert farms(lab)["wfm"]["current"] == lab.new_thumbprint and lab.new_thumbprint in issuer_thumbprints(lab)
    assert lab.violations() == []
    print(f"\n{script} {kind}: {message.splitlines()[0][:160]} / interrupted + resumed in {time.monotonic() - started:.1f}s")


@pytest.mark.parametrize("kind", ["drop-after", "timeout-after"])
def test_a_switch_whose_answer_is_lost_is_reported_as_uncertain_and_the_rerun_only_verifies(lab_factory, tmp_path, reference_calls, kind):
    lab = started_lab(lab_factory, tmp_path)
    lab.add_fault("wfm01", at_call=3, kind=kind)
    interrupted = lab.run_playbook(ROTATE, extra_vars=role_vars(lab.pfx_path, **SHORT_TIMEOUT))
    message = failure_messages(interrupted)
    assert "step 4 of 4 (wfm01: activate: switch outbound certificate) got no answer" in message, message
    assert "it may or may not have taken effect on wfm01" in message and "Re-run the same play" in message
    assert farms(lab)["wfm"]["current"] == lab.new_thumbprint   # the write was applied
    audited = len(lab.audit())
    resumed = lab.run_playbook(ROTATE, extra_vars=role_vars(lab.pfx_path))
    assert resumed.returncode == 0, dump(resumed)
    assert mutating(lab.audit()[audited:]) == [] and lab.violations() == []
