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
      - Mutually exclusive in practice with O(reads_from), which builds it.
    type: dict
  reads_from:
    description:
      - With O(phase=plan) and O(phase=estate), instead of O(reads), the name of the variable the read phase was registered as;
        the action takes it from every host of the play (C(ansible_play_hosts_all)) as stored.
      - A C(reads) template is compiled and rendered again in the task's worker, while a registered read is data.
    type: str
    version_added: 0.3.0
  settings_from_variables:
    description:
      - Take each product option the task leaves out from the role's variable of the same name (the role's prefix and the
        option, for example C(wfm_sharepoint_service_uri) for the option C(service_uri)); a variable that is unset, null or empty leaves
        the option out. A variable holding a template is rendered.
      - Secret options are taken only by the phases that use them (V(plan) and V(apply), unless the product names the options of
        each phase), so the other phases never hold them.
      - The product roles call the action this way, with literal arguments only, since every templated task argument costs a
        Jinja compile in each host's forked worker.
    type: bool
    default: false
    version_added: 0.3.0
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
