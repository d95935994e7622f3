# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the collection: the phase options every rotation engine action shares."""
from __future__ import annotations


class ModuleDocFragment:
    """Options and attributes of the certops rotation engine actions (read -> plan -> apply -> verify)."""

    DOCUMENTATION = r"""
options:
  phase:
    description:
      - V(read) runs on every host of the product's groups and makes one WinRM execution there; it returns the product state
        as data in RV(state). A host that cannot be read is not failed here; its RV(read_error) reaches the plan phase, which
        refuses with every reason at once.
      - V(plan) runs once (C(run_once)), on the controller only. It checks every input and the state of every host and either
        refuses, naming each problem and its fix, before any change, or returns the plan document RV(plan) (schema
        C(docs/schemas/plan-v1.json)) and its readable form RV(lines).
      - V(apply) runs on every host, once per wave of the plan (O(wave)); it applies this host's steps of that wave in plan
        order, each one exact write, and fails saying what was and was not done and that a re-run is safe.
      - V(verify) makes one read on each host the plan expects something of and compares it with RV(plan.expected).
      - V(summary) runs once and closes the run with what changed, where it stopped and the next action.
      - V(estate) runs once, on the controller, from the same reads as V(plan) and without any rotation input. It returns the product's
        certificates by role, what the product does by itself and when, and the next human action with its deadline (RV(estate)),
        for the estate report (C(playbooks/report.yml)).
    type: str
    required: true
    choices: [read, plan, apply, verify, summary, estate]
  reads:
    description:
      - With O(phase=plan) and O(phase=estate), the registered result of the read phase of every host of the play, by inventory host name.
    type: dict
  plan:
    description:
      - With O(phase=apply) and O(phase=verify), the plan document the plan phase returned (its RV(plan)).
    type: dict
  wave:
    description:
      - With O(phase=apply), the number of the wave to apply (see RV(plan.waves) and RV(plan.cleanup_waves)).
    type: int
  cleanup:
    description:
      - With O(phase=apply), apply the wave of the plan's cleanup steps instead of its rotation steps. The irreversible
        steps are kept apart for this; run them only after verify succeeded in the same run.
    type: bool
    default: false
"""
