# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Python twins of the ansible.windows modules the collection uses, and Ansible's own plumbing.

    run_module(estate, host, call: ModuleCall, ctx: CallContext) -> dict
    run_internal(estate, host, action: InternalAction) -> ExecResult
    to_exec_result(result: dict) -> ExecResult
"""
from __future__ import annotations

from certops_lab.twins import certificates, files, modules, powershell, services  # noqa: F401  pylint: disable=unused-import
from certops_lab.twins.internal import run_internal
from certops_lab.twins.registry import ModuleFailure, module_twin, run_module, to_exec_result
from certops_lab.twins.scripts import script_twin

__all__ = ["run_module", "run_internal", "to_exec_result", "module_twin", "script_twin", "ModuleFailure"]
