# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Golden decode tests: payloads recorded from every supported ansible-core minor (tools/record_payloads.py).

Each recorded ExecRequest must decode to the call stored beside it, and the calls of each
scenario must match what the scenario declares from Ansible's documented behaviour.
"""
from __future__ import annotations

import base64
import json
import os

import pytest

from certops_lab.decoding import decode_exec
from certops_lab.decoding.golden import golden_requests, pack_stdin, read_golden, unpack_stdin
from certops_lab.decoding.legacy import NULS
from certops_lab.decoding.recording import BECOME_PASSWORD, SCENARIOS_BY_NAME, declared_problems, describe
from certops_lab.decoding.sources import default_index

GOLDEN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
MINORS = ("2.16", "2.17", "2.18", "2.19", "2.20", "2.21")
LEGACY_MINORS = ("2.16", "2.17", "2.18")
_DOCUMENTS = {}


def golden(minor: str) -> dict:
    if minor not in _DOCUMENTS:
        _DOCUMENTS[minor] = read_golden(os.path.join(GOLDEN_DIR, f"core-{minor}.json.gz"))
    return _DOCUMENTS[minor]


CASES = [(minor, scenario) for minor in MINORS for scenario in SCENARIOS_BY_NAME]


def test_goldens_cover_every_supported_minor_and_scenario():
    for minor in MINORS:
        document = golden(minor)
        assert document["ansible_core"].startswith(minor + ".")
        assert sorted(document["scenarios"]) == sorted(SCENARIOS_BY_NAME)


@pytest.mark.parametrize("minor, scenario", CASES)
def test_golden_requests_decode_to_the_recorded_calls(minor, scenario):
    document = golden(minor)
    decoded = [describe(decode_exec(request)) for request in golden_requests(document, scenario)]
    assert decoded == document["scenarios"][scenario]["expected"]


@pytest.mark.parametrize("minor, scenario", CASES)
def test_golden_decode_matches_the_scenario_declaration(minor, scenario):
    declared = SCENARIOS_BY_NAME[scenario].declared
    assert json.loads(json.dumps(declared)) == golden(minor)["scenarios"][scenario]["declared"], "scenario changed: re-record"
    decoded = [describe(decode_exec(request)) for request in golden_requests(golden(minor), scenario)]
    assert declared_problems(declared, decoded) == []


@pytest.mark.parametrize("minor", LEGACY_MINORS)
def test_golden_legacy_modules_are_identified_by_source_hash(minor):
    index, checked = default_index(), 0
    for scenario in SCENARIOS_BY_NAME:
        for request in golden_requests(golden(minor), scenario):
            if NULS in request.stdin and not request.stdin.startswith(b"{"):
                manifest = json.loads(request.stdin.partition(NULS)[2])
                assert index.lookup(base64.b64decode(manifest["module_entry"])) == decode_exec(request).name
                checked += 1
    assert checked >= len(SCENARIOS_BY_NAME) - 1   # every scenario but raw runs a module


@pytest.mark.parametrize("minor", MINORS)
def test_golden_become_password_is_sent_but_never_decoded(minor):
    requests = golden_requests(golden(minor), "become_runas")
    assert any(BECOME_PASSWORD.encode() in request.stdin for request in requests)
    assert all(BECOME_PASSWORD not in repr(decode_exec(request)) for request in requests)


@pytest.mark.parametrize("minor, shape", [("2.16", "double"), ("2.18", "double"), ("2.19", "single"), ("2.21", "whole-line")])
def test_golden_module_command_line_has_the_documented_shape(minor, shape):
    request = golden_requests(golden(minor), "win_ping")[0]
    observed = "whole-line" if request.arguments is None else "single"
    if observed == "single":
        inner = base64.b64decode(request.arguments.split()[-1]).decode("utf-16-le")
        observed = "double" if "-EncodedCommand" in inner else "single"
    assert observed == shape


@pytest.mark.parametrize("stdin", [
    b"",
    b"\xff\xfe not utf-8",
    b"begin {}\n\0\0\0\0" + json.dumps({"module_entry": base64.b64encode(b"x" * 3000).decode()}).encode(),
    b'{"name": "exec_wrapper"}\n\0\0\0\0\n{"script": "' + base64.b64encode(b"\x80" * 3000) + b'"}\n\0\0\0\0\nQUJD\r\n',
], ids=["empty", "binary", "legacy", "manifest-with-binary-run"])
def test_golden_stdin_packing_round_trips(stdin):
    blobs = {}
    assert unpack_stdin(json.loads(json.dumps(pack_stdin(stdin, blobs))), blobs) == stdin
