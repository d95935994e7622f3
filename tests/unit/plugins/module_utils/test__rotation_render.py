# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of module_utils/_rotation_render.py: the plan as a person reads it."""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._rotation_plan import ManualGate, Plan, Step, Wait
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_render import plan_lines


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
