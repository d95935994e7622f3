# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of module_utils/_rotation_plan.py: steps, waves and the plan document."""
from __future__ import annotations

import pytest

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_plan import (
    SCHEMA, SCHEMA_VERSION, ManualGate, Plan, Step, Wait, check_document, number_waves, steps_of, wave_list)


def step(name, host, after=(), **extra):
    return Step(id=name, host=host, phase="p", action=f"do {name}", detail=f"do {name} on {host}", script="s", after=list(after), **extra)


def plan(**fields):
    return Plan(product="demo", created="2026-12-03T00:00:00Z", hosts={"a": "x", "b": "y"}, **fields)


def test_steps_without_prerequisites_share_the_first_wave():
    assert [item.wave for item in number_waves([step("s1", "a"), step("s2", "b")])] == [1, 1]


def test_a_prerequisite_on_another_host_puts_the_step_in_the_next_wave():
    assert [item.wave for item in number_waves([step("s1", "a"), step("s2", "b", ["s1"])])] == [1, 2]


def test_a_prerequisite_on_the_same_host_keeps_the_step_in_its_wave():
    """A host applies its steps of a wave in plan order, so no extra wave (and no extra task) is needed."""
    waves = number_waves([step("root", "sp"), step("issuer", "sp", ["root"]), step("switch", "wfm", ["root", "issuer"])])
    assert [item.wave for item in waves] == [1, 1, 2]


def test_the_latest_prerequisite_decides_the_wave():
    steps = [step("a1", "a"), step("b2", "b", ["a1"]), step("c3", "c", ["b2"]), step("a4", "a", ["a1", "c3"])]
    assert [item.wave for item in number_waves(steps)] == [1, 2, 3, 4]


def test_a_step_after_an_unknown_or_later_step_is_an_internal_error():
    with pytest.raises(CertopsError, match="step s1 comes after s2, which is not an earlier step"):
        number_waves([step("s1", "a", ["s2"]), step("s2", "b")])


def test_wave_list_names_each_waves_hosts_once_in_order_and_whether_it_rolls():
    waves = number_waves([step("s1", "a"), step("s2", "a"), step("s3", "b", ["s1"], rolling=True), step("s4", "c", ["s1"])])
    assert wave_list(waves) == [{"number": 1, "hosts": ["a"], "rolling": False}, {"number": 2, "hosts": ["b", "c"], "rolling": True}]


@pytest.mark.parametrize("fields, status", [
    ({}, "converged"),
    ({"steps": [step("s1", "a")]}, "ready"),
    ({"waits": [Wait("w", "2027-01-01T00:00:00Z", "timer", "then")]}, "waiting"),
    ({"steps": [step("s1", "a")], "waits": [Wait("w", "2027-01-01T00:00:00Z", "timer", "then")]}, "ready"),
    ({"manual_gates": [ManualGate("g", "portal", "enter")], "steps": [step("s1", "a")]}, "manual_gate"),
])
def test_status_says_whether_the_plan_changes_waits_stops_at_a_person_or_is_done(fields, status):
    assert plan(**fields).status() == status


def test_document_carries_schema_version_waves_and_every_section():
    document = plan(steps=[step("s1", "a"), step("s2", "b", ["s1"])], cleanup=[step("c1", "a", irreversible=True)],
                    expected={"a": {"f": 1}}, summary=["line"], next={"applied": "nothing"}).to_dict()
    assert (document["schema"], document["version"], document["status"]) == (SCHEMA, SCHEMA_VERSION, "ready")
    assert [item["wave"] for item in document["steps"]] == [1, 2] and len(document["waves"]) == 2
    assert document["cleanup_waves"] == [{"number": 1, "hosts": ["a"], "rolling": False}]
    assert document["cleanup"][0]["irreversible"] is True and document["expected"] == {"a": {"f": 1}}


def test_steps_of_picks_one_hosts_steps_of_one_wave_in_plan_order():
    document = plan(steps=[step("s1", "a"), step("s2", "b"), step("s3", "a"), step("s4", "a", ["s2"])], cleanup=[step("c1", "a")]).to_dict()
    assert [item["id"] for item in steps_of(document, "a", 1)] == ["s1", "s3"]
    assert [item["id"] for item in steps_of(document, "a", 2)] == ["s4"]
    assert [item["id"] for item in steps_of(document, "a", 1, cleanup=True)] == ["c1"]


@pytest.mark.parametrize("document, message", [
    (None, "expected the plan document returned by the plan phase"),
    ({"schema": "other"}, "expected the plan document returned by the plan phase"),
    ({"schema": SCHEMA, "version": 99}, "document version 99 is not 1"),
])
def test_check_document_refuses_what_this_version_cannot_apply(document, message):
    with pytest.raises(CertopsError, match=message):
        check_document(document)
