# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Interrupted runs: a fault at every mutating call of an emergency replace (create, two imports, stage, publish, three
restarts), of a staged rotation and of a cleanup; a health gate that cannot be read; a server that goes unreachable in
the middle of the restart roll. Each run fails clearly, a re-run converges, and no invariant is violated at any moment.

A reference run on a fresh lab lists the mutating calls (host and call number, counted per host, so the numbers do not
depend on how hosts interleave); every case starts a fresh lab of the same topology and plans one fault at one call.
"""
from __future__ import annotations

import pytest

from certops_lab.lab import LabInstance
from certops_lab.pytest_plugin import Lab, resolve_topology
from certops_lab.topology import load_topology
import fault_matrix
from exchange_auth_lab import (HOSTS, SHORT_TIMEOUT, Rotation, auth, dump, failure_messages, holders, mutating, organisation, restarts,
                               topology)

AUTH_SUBJECT = "CN=Microsoft Exchange Server Auth Certificate"
# An emergency replace (the current certificate expired 3 days ago), per host: (host, call number, script).
REPLACE_CALLS = (
    ("ex01", 2, "exchange_auth_certificate_new"),
    ("ex01", 4, "exchange_auth_certificate_import"),
    ("ex01", 5, "exchange_auth_certificate_import"),
    ("ex01", 6, "exchange_authconfig_set"),
    ("ex01", 7, "exchange_authconfig_set"),
    ("ex01", 8, "exchange_auth_services_restart"),
    ("ex02", 2, "exchange_auth_services_restart"),
    ("ex03", 2, "exchange_auth_services_restart"),
)
NAMES = ("create", "import-ex02", "import-ex03", "stage-now", "publish", "restart-ex01", "restart-ex02", "restart-ex03")
KINDS = ("drop", "http500", "cmdlet-error", "drop-after")
# timeout-after costs the client's read timeout: two of the calls are enough to show it.
CASES = fault_matrix.cases(len(REPLACE_CALLS), KINDS) + [(4, "timeout-after"), (6, "timeout-after")]


def call_number(record: dict) -> int:
    return int(record["call_id"].rsplit("#", 1)[1])


@pytest.fixture(name="reference_calls", scope="module")
def reference_calls_fixture(tmp_path_factory):
    """The mutating calls of an uninterrupted replace on a fresh lab, checked against REPLACE_CALLS."""
    directory = tmp_path_factory.mktemp("exchange_auth_reference")
    lab = Lab(LabInstance(load_topology(resolve_topology(topology(current_days=-3))), str(directory / "lab")).start())
    try:
        run = Rotation(lab, directory).run()
        assert run.returncode == 0, dump(run)
        calls = sorted((record["host"], call_number(record), record["script"]) for record in mutating(lab.audit()))
    finally:
        lab.stop()
    assert calls == sorted(REPLACE_CALLS)
    return REPLACE_CALLS


def expected_words(kind: str) -> str:
    """A cmdlet that threw changed nothing; any transport failure (the engine cannot know when it happened) may have taken effect."""
    return "failed and changed nothing" if kind == "cmdlet-error" else "may or may not have taken effect"


def auth_certificates(lab, host: str = "ex01") -> int:
    store = lab.instance.runtime.estate.hosts[host].store("LocalMachine", "My")
    return sum(1 for entry in store.entries.values() if entry.certificate.subject.rfc4514_string() == AUTH_SUBJECT)


def assert_converged(rotation, old: str) -> None:
    current = auth(rotation.lab)["current"]
    assert current != old and auth(rotation.lab)["previous"] == old and holders(rotation.lab, current) == list(HOSTS)
    assert all(count >= 1 for count in restarts(rotation.lab).values()) and rotation.lab.violations() == []


@pytest.mark.parametrize("index, kind", CASES, ids=[f"{NAMES[index]}-{kind}" for index, kind in CASES])
def test_interrupted_replace_fails_clearly_and_a_rerun_converges_without_violations(lab_factory, tmp_path, reference_calls, index, kind):
    rotation = Rotation(lab_factory(topology(current_days=-3), transports="basic"), tmp_path)
    old, created_before = auth(rotation.lab)["current"], auth_certificates(rotation.lab)
    host, number, _script = reference_calls[index]
    rotation.lab.add_fault(host, at_call=number, kind=kind)
    interrupted = rotation.run(**SHORT_TIMEOUT)
    assert interrupted.returncode != 0, dump(interrupted)
    message = failure_messages(interrupted)
    assert expected_words(kind) in message and "Re-run the same play" in message, message
    assert "Traceback" not in interrupted.stdout + interrupted.stderr
    assert rotation.lab.instance.call_counts()[host] >= number and rotation.lab.violations() == []
    resumed = rotation.run()
    assert resumed.returncode == 0, dump(resumed)
    assert_converged(rotation, old)
    # A certificate created by an interrupted run is adopted by the next one, never created twice.
    assert auth_certificates(rotation.lab) == created_before + 1
    print(f"\n{NAMES[index]} {kind}: {message.splitlines()[0][:170]}")


@pytest.mark.parametrize("kind", ["drop", "cmdlet-error", "drop-after"])
def test_interrupted_staging_with_an_effective_date_fails_clearly_and_a_rerun_converges(lab_factory, tmp_path, kind):
    rotation = Rotation(lab_factory(topology(current_days=40), transports="basic"), tmp_path)
    rotation.lab.add_fault("ex01", at_call=6, kind=kind)    # read, create, read again, two imports, then the stage
    interrupted = rotation.run(**SHORT_TIMEOUT)
    assert interrupted.returncode != 0 and "stage the next Auth certificate" in failure_messages(interrupted), dump(interrupted)
    assert rotation.run().returncode == 0
    staged = auth(rotation.lab)["next"]
    assert staged and holders(rotation.lab, staged) == list(HOSTS) and rotation.lab.violations() == []
    assert auth_certificates(rotation.lab) == 3   # the expiring one, the CNG one, and one new


@pytest.mark.parametrize("index, kind", [(0, "drop"), (0, "drop-after"), (1, "cmdlet-error"), (3, "drop-after"), (3, "cmdlet-error")],
                         ids=["remove-ex01-drop", "remove-ex01-drop-after", "remove-ex02-cmdlet-error", "clear-previous-drop-after",
                              "clear-previous-cmdlet-error"])
def test_interrupted_cleanup_fails_clearly_and_a_rerun_finishes_it(lab_factory, tmp_path, index, kind):
    rotation = Rotation(lab_factory(topology(current_days=-3), transports="basic"), tmp_path)
    old = auth(rotation.lab)["current"]
    assert rotation.run().returncode == 0
    counts = rotation.lab.instance.call_counts()
    # Cleanup run: each server reads and verifies first; then ex01..ex03 remove (wave 1) and ex01 clears (wave 2).
    targets = [("ex01", counts["ex01"] + 3), ("ex02", counts["ex02"] + 3), ("ex03", counts["ex03"] + 3), ("ex01", counts["ex01"] + 4)]
    rotation.lab.add_fault(*targets[index], kind=kind)
    interrupted = rotation.run(exchange_auth_cleanup=True, **SHORT_TIMEOUT)
    assert interrupted.returncode != 0 and "cleanup step" in failure_messages(interrupted), dump(interrupted)
    assert rotation.run(exchange_auth_cleanup=True).returncode == 0
    assert auth(rotation.lab)["previous"] == "" and holders(rotation.lab, old) == [] and rotation.lab.violations() == []


def test_a_health_gate_that_cannot_be_read_stops_the_roll_and_the_rerun_finishes_it(lab_factory, tmp_path):
    rotation = Rotation(lab_factory(topology(current_days=-3), transports="basic"), tmp_path)
    old = auth(rotation.lab)["current"]
    rotation.lab.add_fault("ex02", at_call=3, kind="cmdlet-error")    # ex02's gate read, right after its restart
    interrupted = rotation.run()
    message = failure_messages(interrupted)
    assert interrupted.returncode != 0 and "its health gate (exchange_auth_get) could not be read" in message and "the roll stopped here" in message
    assert restarts(rotation.lab) == {"ex01": 1, "ex02": 1, "ex03": 0}     # ex03 untouched
    assert rotation.run().returncode == 0
    assert_converged(rotation, old)
    assert restarts(rotation.lab) == {"ex01": 1, "ex02": 1, "ex03": 1}     # the re-run restarted only the one left


def test_a_server_that_goes_unreachable_mid_roll_stops_it_is_refused_while_down_and_the_rerun_converges(lab_factory, tmp_path):
    rotation = Rotation(lab_factory(topology(current_days=-3), transports="basic"), tmp_path)
    old = auth(rotation.lab)["current"]
    for number in range(2, 8):      # ex02 answers its read, then stops answering: its restart and everything after
        rotation.lab.add_fault("ex02", at_call=number, kind="drop")
    interrupted = rotation.run(**SHORT_TIMEOUT)
    assert interrupted.returncode != 0 and "(ex02: activate: restart and recycle) got no answer" in failure_messages(interrupted)
    assert restarts(rotation.lab)["ex03"] == 0 and rotation.lab.violations() == []
    refused = rotation.run(**SHORT_TIMEOUT)          # ex02 is still down: the plan refuses, nothing changes
    before = len(rotation.lab.audit())
    assert refused.returncode != 0 and "ex02 is unreachable" in failure_messages(refused)
    rotation.lab.instance.fault_clear("ex02")
    assert mutating(rotation.lab.audit()[before:]) == []
    resumed = rotation.run()
    assert resumed.returncode == 0, dump(resumed)
    assert_converged(rotation, old)
    assert organisation(rotation.lab).server_of_host("ex03").restarts == 1
