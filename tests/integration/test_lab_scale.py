# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab holds forks 50 across 200 hosts without a failed request."""
from __future__ import annotations

import os

import pytest

PLAYBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab_playbooks", "win_ping.yml")


@pytest.mark.slow
def test_two_hundred_hosts_answer_win_ping_at_forks_50(lab_factory):
    lab = lab_factory("scale.yml")
    run = lab.run_playbook(PLAYBOOK, "--forks", "50")
    assert run.returncode == 0, run.stderr[-2000:]
    assert len(run.stats) == 200
    assert [host for host, item in run.stats.items() if item["failures"] or item["unreachable"] or item["ok"] != 1] == []
    assert sum(lab.call_count(host) for host in run.stats) == 200
