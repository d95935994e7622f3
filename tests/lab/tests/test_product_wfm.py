# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Workflow Manager farm model: outbound references, the CU3 Get-WFFarm quirk, key checks."""
from __future__ import annotations

import pytest

from certops_lab.contracts import CmdletError
from certops_lab.products.wfm import WorkflowFarm, normalise_uri

OLD = "A" * 40
NEW = "B" * 40


def farm_with(version="1.0 CU3", **fields):
    return WorkflowFarm(name="wfm", service_uri="https://wfm.lab.test:12290/", hosts=["wfm01"], service_account="LAB\\svc-wfm",
                        version=version, current=OLD, created_with=OLD, history=[OLD], **fields)


def test_set_next_as_current_promotes_next_and_keeps_previous():
    farm = farm_with(next=NEW)
    farm.set_next_as_current()
    assert farm.outbound_references() == {"Current": NEW, "Next": "", "Previous": OLD}
    assert farm.signing_thumbprint() == NEW and farm.history == [OLD, NEW]


def test_set_next_as_current_without_next_fails():
    with pytest.raises(CmdletError, match="no next outbound certificate reference"):
        farm_with().set_next_as_current()


def test_set_next_as_current_with_current_as_next_changes_nothing():
    farm = farm_with(next=OLD)
    farm.set_next_as_current()
    assert farm.outbound_references() == {"Current": OLD, "Next": "", "Previous": ""}


@pytest.mark.parametrize("version,shown", [("1.0 CU3", OLD), ("1.0 CU2", OLD), ("1.0 CU4", NEW), ("1.0 CU5", NEW)])
def test_get_wffarm_view_is_stale_before_cu4(version, shown):
    farm = farm_with(version=version, next=NEW)
    farm.set_next_as_current()
    assert farm.farm_view_outbound() == shown


@pytest.mark.parametrize("uri", ["https://wfm.lab.test:12290", "HTTPS://WFM.LAB.TEST:12290/", "https://Wfm.Lab.Test:12290"])
def test_service_uri_matches_as_system_uri_does(uri):
    assert farm_with().serves(uri)


def test_service_uri_path_stays_case_sensitive():
    assert normalise_uri("https://h/Path/") == "https://h/Path" != normalise_uri("https://h/path")
    assert not farm_with().serves("https://other.lab.test:12290")


def test_farm_to_dict_round_trip():
    farm = farm_with(next=NEW)
    assert WorkflowFarm.from_dict(farm.to_dict()) == farm
