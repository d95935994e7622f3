# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Python twins of the ansible.windows modules the collection uses, and Ansible's own plumbing.

    run_module(estate, host, call: ModuleCall, ctx: CallContext) -> dict
    run_internal(estate, host, action: InternalAction) -> ExecResult
    to_exec_result(result: dict) -> ExecResult
"""
from __future__ import annotations

from certops_lab.twins import certificates, files, modules, powershell, read_script, services  # noqa: F401  pylint: disable=unused-import
from certops_lab.twins import registry
from certops_lab.twins.asynchronous import started_reply
from certops_lab.twins.internal import run_internal
from certops_lab.twins.registry import ModuleFailure, module_twin, to_exec_result
from certops_lab.twins.scripts import script_twin

__all__ = ["run_module", "run_internal", "to_exec_result", "module_twin", "script_twin", "ModuleFailure"]


def run_module(estate, host, call, ctx) -> dict:
    """Run the twin of ``call``; an ``async:`` task gets async_wrapper's started reply and leaves its result for async_status."""
    result = registry.run_module(estate, host, call, ctx)
    return started_reply(estate, host, call, result) if call.async_jid else result
