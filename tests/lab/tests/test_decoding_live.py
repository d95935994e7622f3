# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Decode what the ansible-core of THIS venv sends, recorded now, so a new ansible-core fails loudly.

The goldens pin the supported minors; this records live from the installed ansible-playbook
(the one beside sys.executable) against the capturing endpoint. A layout change in a future
ansible-core makes a scenario's decode differ from its declaration, or raise DecodeError.
"""
from __future__ import annotations

import os
import sys

import pytest

from certops_lab.decoding.recording import SCENARIOS_BY_NAME, record_scenarios

ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
LIVE_SCENARIOS = ("win_ping", "win_copy", "raw")


@pytest.fixture(scope="module")
def live_recordings():
    return {recording.scenario: recording
            for recording in record_scenarios(ANSIBLE_PLAYBOOK, [SCENARIOS_BY_NAME[name] for name in LIVE_SCENARIOS])}


@pytest.mark.parametrize("scenario", LIVE_SCENARIOS)
def test_live_ansible_core_payloads_decode_as_declared(live_recordings, scenario):
    recording = live_recordings[scenario]
    assert recording.problems == [], recording.output
    assert recording.requests, "the play sent nothing to the endpoint"
