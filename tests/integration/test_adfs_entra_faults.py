# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Interrupted rotations: a fault at each mutating call of a CA-issued rotation, WinRM and Graph.

A reference rotation on a fresh lab lists the mutating calls (host and call number; Graph requests
are numbered by the lab's Graph endpoint). Each case starts a fresh lab, plans one fault at one of
those calls, and checks that the run fails clearly (or, for one 429, waits it out and succeeds),
that a re-run without the fault converges, and that no invariant is violated at any moment.
"""
from __future__ import annotations

import time

import pytest

from certops_lab.lab import LabInstance
from certops_lab.pytest_plugin import Lab, resolve_topology
from certops_lab.topology import load_topology
from adfs_entra_lab import (DOMAINS, PFX_PASSWORD, dump, entra_holds, failure_messages, graph_credential, mutating, primary_thumbprint, rotate,
                            signins_work, topology, write_pfx)

# The mutating calls of a fresh rotation: (host, call number, what). Numbers are per host (graph: per Graph request), so they do
# not depend on how the nodes of a wave interleave; checked against the reference run below.
MUTATING_CALLS = (
    ("adfs01", 2, "stage token-signing certificate"),
    ("adfs02", 2, "stage token-signing certificate"),
    ("adfs01", 3, "add token-decrypting"),
    ("adfs01", 4, "promote token-decrypting"),
    ("adfs01", 5, "add token-signing"),
    ("graph", 3, "Entra next lab.test"),
    ("graph", 4, "Entra next contoso.test"),
    ("adfs01", 6, "promote token-signing"),
    ("graph", 5, "Entra signing lab.test"),
    ("graph", 6, "Entra signing contoso.test"),
)
WINRM_KINDS = ("drop", "http500", "cmdlet-error", "drop-after", "timeout-after")
GRAPH_KINDS = ("throttle", "http503", "drop", "drop-after", "timeout-after")
# Every WinRM call with one kind (cycling), every WinRM kind on the token-signing promotion, every Graph kind on both Entra writes.
CASES = sorted({(index, WINRM_KINDS[index % len(WINRM_KINDS)]) for index, call in enumerate(MUTATING_CALLS) if call[0] != "graph"}
               | {(7, kind) for kind in WINRM_KINDS}
               | {(index, kind) for index, call in enumerate(MUTATING_CALLS) if call[0] == "graph" for kind in GRAPH_KINDS if kind != "throttle"}
               | {(index, "throttle") for index, call in enumerate(MUTATING_CALLS) if call[0] == "graph"})
SHORT_TIMEOUTS = {"ansible_winrm_connection_timeout": 5, "adfs_entra_graph_timeout": 3}
# A throttle longer than the retries: the same 429 four times (1 try + 3 retries).
PERSISTENT = 4


def call_number(record: dict) -> int:
    return int(record["call_id"].rsplit("#", 1)[1])


def ca_vars(lab) -> dict:
    store = lab.instance.runtime.estate.hosts["adfs01"].store("LocalMachine", "My")
    decrypting = next(entry.thumbprint for entry in store.entries.values() if "2027" in entry.certificate.subject.rfc4514_string())
    return {"adfs_entra_mode": "ca", "adfs_entra_signing_pfx_path": lab.pfx_path, "adfs_entra_signing_pfx_password": PFX_PASSWORD,
            "adfs_entra_decrypting_thumbprint": decrypting, "adfs_entra_relying_parties_ready": True}


def prepared(lab, directory):
    lab.pfx_path = str(directory / "new.pfx")
    lab.new_signing = write_pfx(lab.pfx_path)
    lab.credential = graph_credential(lab, directory)
    lab.instance.graph.hold = 8
    return lab


def run(lab, **extra):
    return rotate(lab, lab.credential, **ca_vars(lab), **extra)


@pytest.fixture(name="reference_calls", scope="module")
def reference_calls_fixture(tmp_path_factory):
    """The mutating calls of an uninterrupted rotation on a fresh lab, as (host, call number)."""
    directory = tmp_path_factory.mktemp("adfs_entra_reference")
    lab = prepared(Lab(LabInstance(load_topology(resolve_topology(topology("adfs_entra_ca.yml"), "basic")), str(directory / "lab")).start()), directory)
    try:
        done = run(lab)
        assert done.returncode == 0, dump(done)
        calls = sorted((record["host"], call_number(record)) for record in mutating(lab.audit()))
    finally:
        lab.stop()
    assert calls == sorted((host, number) for host, number, _what in MUTATING_CALLS)
    return MUTATING_CALLS


def inject(lab, host: str, number: int, kind: str) -> None:
    if host != "graph":
        lab.add_fault(host, at_call=number, kind=kind)
        return
    for attempt in range(PERSISTENT if kind in ("throttle", "http503") else 1):
        lab.add_graph_fault(number + attempt, kind, seconds=1)


def expected_words(host: str, kind: str) -> tuple:
    """What the failure may say: a lost answer may have taken effect; a refusal changed nothing. A WinRM HTTP 500 proves
    neither (the engine reports it as uncertain); a Graph 5xx after a write is uncertain too."""
    uncertain, unchanged = "may or may not have taken effect", "failed and changed nothing"
    if kind.endswith("-after") or kind == "drop" or (kind == "http503" and host == "graph"):
        return (uncertain,)
    return (uncertain, unchanged) if kind == "http500" else (unchanged,)


@pytest.mark.parametrize("index, kind", CASES, ids=[f"{MUTATING_CALLS[index][2].replace(' ', '_')}-{kind}" for index, kind in CASES])
def test_an_interrupted_rotation_fails_clearly_and_a_rerun_converges_without_violations(lab_factory, tmp_path, reference_calls, index, kind):
    lab = prepared(lab_factory(topology("adfs_entra_ca.yml"), transports="basic"), tmp_path)
    host, number, what = reference_calls[index]
    inject(lab, host, number, kind)
    started = time.monotonic()
    interrupted = run(lab, **SHORT_TIMEOUTS)
    assert interrupted.returncode != 0, dump(interrupted)
    message = failure_messages(interrupted)
    assert "(adfs01: " in message or f"({host}: " in message, message
    assert any(words in message for words in expected_words(host, kind)) and "Re-run the same play" in message, message
    assert "Traceback" not in interrupted.stdout + interrupted.stderr
    resumed = run(lab)
    assert resumed.returncode == 0, dump(resumed)
    assert primary_thumbprint(lab) == lab.new_signing and [entra_holds(lab, domain)[0] for domain in DOMAINS] == [lab.new_signing] * 2
    assert lab.violations() == [] and signins_work(lab)
    print(f"\n{what} {kind}: {message.splitlines()[0][:170]} / interrupted + resumed in {time.monotonic() - started:.1f}s")


def test_one_throttled_graph_write_is_waited_out_and_the_run_succeeds(lab_factory, tmp_path, reference_calls):
    lab = prepared(lab_factory(topology("adfs_entra_ca.yml"), transports="basic"), tmp_path)
    lab.add_graph_fault(reference_calls[5][1], "throttle", seconds=2)
    started = time.monotonic()
    done = run(lab)
    assert done.returncode == 0, dump(done) and time.monotonic() - started >= 2
    throttled = [record for record in lab.audit() if record["fault"] == "throttle"]
    assert len(throttled) == 1 and throttled[0]["rc"] == 429 and lab.violations() == []
