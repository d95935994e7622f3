# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of module_utils/_rotation_render.py: the plan as a person reads it."""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._rotation_plan import ManualGate, Plan, Step, Wait
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_render import estate_plan_lines, plan_lines


def step(name, host, after=(), **extra):
    return Step(id=name, host=host, phase="stage", action=name, detail=f"{name} detail", after=list(after), **extra)


def test_lines_number_the_steps_across_waves_and_say_how_each_wave_runs():
    document = Plan("demo", "2026-12-03T00:00:00Z", {}, steps=[step("one", "a"), step("two", "b", ["one"], rolling=True)],
                    expected={"a": {"current": "NEW", "trusted": ["X", "Y"]}}).to_dict()
    lines = plan_lines(document)
    assert lines[0] == "certops plan (demo, plan v1, 2026-12-03T00:00:00Z): 2 step(s) in 2 wave(s), status ready"
    assert lines[1:5] == [" wave 1 (hosts in parallel):", "  1. a: stage: one detail",
                          " wave 2 (one host at a time, each behind a health gate):", "  2. b: stage: two detail"]
    assert "  a: current = NEW; trusted = X, Y" in lines and " cleanup: nothing to remove" in lines


def test_lines_show_cleanup_after_the_steps_and_waits_and_manual_gates_with_their_values():
    document = Plan("demo", "2026-12-03T00:00:00Z", {}, steps=[step("one", "a")], cleanup=[step("remove", "a", irreversible=True)],
                    waits=[Wait("job", "2026-12-05T00:00:00Z", "the job re-encrypts the data", "cleanup")],
                    manual_gates=[ManualGate("lcs", "LCS Update Settings", "enter the thumbprints", {"Server certificate": "AB"})],
                    warnings=["careful"]).to_dict()
    lines = plan_lines(document)
    assert " cleanup (only when asked, after a verified run; irreversible):" in lines and "  2. a: stage: remove detail" in lines
    assert " wait until 2026-12-05T00:00:00Z: the job re-encrypts the data; then cleanup" in lines
    assert " manual gate: LCS Update Settings: enter the thumbprints" in lines and "   Server certificate: AB" in lines
    assert lines[-1] == " warning: careful"


def test_a_converged_plan_says_there_is_nothing_to_change():
    assert plan_lines(Plan("demo", "2026-12-03T00:00:00Z", {}).to_dict())[1] == " nothing to change"


def test_the_estate_plan_keeps_the_product_order_and_sorts_waits_and_gates_by_date():
    later = Plan("exchange_auth", "2026-12-03T00:00:00Z", {}, waits=[Wait("effective", "2027-01-02T00:00:00Z", "effective date", "publish")])
    sooner = Plan("adfs_entra", "2026-12-03T00:00:00Z", {}, steps=[step("one", "a")],
                  manual_gates=[ManualGate("rp", "Give Payroll the next certificate", "import it", deadline="2026-12-20T00:00:00Z")])
    lines = estate_plan_lines([("exchange_auth", later.to_dict()), ("adfs_entra", sooner.to_dict())])
    assert lines[:3] == ["certops estate plan: 2 product(s), in this order:",
                         " 1. exchange_auth: 0 step(s) in 0 wave(s), 0 cleanup step(s), status waiting",
                         " 2. adfs_entra: 1 step(s) in 1 wave(s), 0 cleanup step(s), status manual_gate"]
    assert lines[3:] == [" waits and manual gates by date:",
                         "  adfs_entra: manual gate by 2026-12-20T00:00:00Z: Give Payroll the next certificate",
                         "  exchange_auth: wait until 2027-01-02T00:00:00Z: effective date; then publish"]


def test_the_estate_plan_names_a_product_that_stopped_before_its_plan():
    lines = estate_plan_lines([("wfm_sharepoint", None)])
    assert lines[1].startswith(" 1. wfm_sharepoint: not planned") and lines[2] == " waits and manual gates: none"
