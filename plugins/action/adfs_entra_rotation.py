# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of certops.microsoft.adfs_entra_rotation: the rotation engine over the AD FS + Entra rules."""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._products import adfs_entra
from ansible_collections.certops.microsoft.plugins.plugin_utils._rotation_action import PHASE_SPEC, RotationActionBase

GRAPH_SECRETS = ("graph_client_secret", "graph_certificate_password")


class ActionModule(RotationActionBase):
    """certops.microsoft.adfs_entra_rotation"""

    RULES = adfs_entra
    ARGUMENT_SPEC = {**PHASE_SPEC, **adfs_entra.ARGUMENT_SPEC}
    VALIDATION_RULES = adfs_entra.VALIDATION_RULES

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._params: dict = {}
        self._replies: dict = {}    # answers of the steps this task applied, by step id

    def perform(self, params: dict, task_vars: dict) -> dict:
        self._params = params
        return super().perform(params, task_vars)

    def read_state(self, role: str, inputs: dict, task_vars: dict) -> dict:
        # Verify reads Graph with the plan's inputs, which hold no secret: this task's own Graph secret completes them.
        secrets = {name: self._params[name] for name in GRAPH_SECRETS if self._params.get(name)}
        return super().read_state(role, {**inputs, **secrets}, task_vars)

    def execute_step(self, step: dict, secrets: dict, task_vars: dict):
        # An emergency step's Entra body is the answer of the step before it on the same host (the certificates -Urgent made).
        reply = super().execute_step(adfs_entra.resolve_step(step, self._replies), secrets, task_vars)
        self._replies[step["id"]] = reply
        return reply

    def step_problem(self, step: dict, reply) -> str:
        return super().step_problem(adfs_entra.resolve_step(step, self._replies), reply)
