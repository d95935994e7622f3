# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The plan document every product returns matches docs/schemas/plan-v1.json, and the schema is strict enough to catch drift."""
from __future__ import annotations

import json
import pathlib

import jsonschema
import pytest

from ansible_collections.certops.microsoft.plugins.module_utils._rotation_plan import ManualGate, Plan, Step, Wait

SCHEMA = json.loads((pathlib.Path(__file__).resolve().parents[2] / "docs" / "schemas" / "plan-v1.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def full_plan() -> dict:
    steps = [Step("stage-a", "a", "stage", "stage", "stage on a", script="windows_certificate_import", secrets={"Pfx": "pfx"}),
             Step("graph", "a", "publish", "patch", "patch Entra", controller="entra_patch", after=["stage-a"]),
             Step("switch", "b", "activate", "switch", "switch on b", script="wfm_outbound_certificate_set", after=["graph"],
                  rolling=True, gate={"script": "x", "parameters": {}, "expect": {"Healthy": True}})]
    cleanup = [Step("remove", "a", "cleanup", "remove", "remove old", module="ansible.windows.win_certificate_store",
                    module_args={"state": "absent"}, irreversible=True)]
    return Plan("wfm_sharepoint", "2026-12-03T00:00:00Z", {"a": "wfm", "b": "sharepoint"}, steps=steps, cleanup=cleanup,
                expected={"a": {"current": "AB"}}, waits=[Wait("w", "2026-12-04T00:00:00Z", "timer", "go on")],
                manual_gates=[ManualGate("g", "portal", "enter", {"k": "v"}, "2026-12-05T00:00:00Z")], summary=["s"],
                next={"check": "apply"}, warnings=["w"], inputs={"new_thumbprint": "AB"}).to_dict()


def test_a_plan_with_every_kind_of_step_and_section_is_valid():
    assert list(VALIDATOR.iter_errors(full_plan())) == []


def test_an_empty_converged_plan_is_valid():
    assert list(VALIDATOR.iter_errors(Plan("demo", "2026-12-03T00:00:00Z", {}).to_dict())) == []


@pytest.mark.parametrize("mutate", [
    lambda document: document.update(version=2),
    lambda document: document.update(extra="field"),
    lambda document: document["steps"][0].update(module="ansible.windows.win_ping"),   # two kinds of write in one step
    lambda document: document["steps"][0].update(password="secret"),                    # no free-form data in a step
    lambda document: document.update(created="yesterday"),
    lambda document: document["waits"][0].update(until="2026-12-04"),
])
def test_the_schema_refuses_a_document_that_drifted(mutate):
    document = full_plan()
    mutate(document)
    assert list(VALIDATOR.iter_errors(document))
