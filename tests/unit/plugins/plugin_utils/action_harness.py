# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test harness for certops action plugins: build one with a mocked task and replay win_powershell.

Follows ansible.windows tests/unit/plugins/action/test_win_updates.py: the action runs for real,
only ``_execute_module`` is replaced by a mock returning a result of the documented shape.
"""
from __future__ import annotations

from unittest.mock import MagicMock

from ansible.playbook.task import Task

# trust_as_template is re-exported for the tests that mark a variable as a template.
try:
    from ansible.template import trust_as_template  # noqa: F401  pylint: disable=unused-import
except ImportError:  # ansible-core before 2.19 renders every string; nothing to mark as trusted
    def trust_as_template(text):
        return text


def win_powershell_reply(output=(), **extra) -> dict:
    """A result of the shape ansible.windows.win_powershell documents; ``extra`` overrides keys."""
    reply = {"changed": False, "output": list(output), "result": {}, "error": [], "warning": [], "host_out": "", "host_err": "",
             "verbose": [], "debug": [], "information": [],
             "invocation": {"module_args": {"script": "# certops-script: replayed", "parameters": {}}}}
    reply.update(extra)
    return reply


def read_runner_reply(output=(), **extra) -> dict:
    """A result of the shape certops.microsoft.win_read_script returns; ``extra`` overrides keys."""
    reply = {"changed": False, "output": list(output),
             "invocation": {"module_args": {"script": "# certops-script: replayed", "parameters": {}, "depth": 2}}}
    reply.update(extra)
    return reply


def make_action(action_class, args: dict, reply: dict, check_mode: bool = False, name: str = "certops.microsoft.example"):
    """An instance of ``action_class`` for a task with ``args``; its _execute_module returns ``reply``."""
    task = MagicMock(Task)
    task.args = args
    task.check_mode = check_mode
    task.async_val = 0
    task.action = name
    play_context = MagicMock()
    play_context.check_mode = check_mode
    action = action_class(task, MagicMock(), play_context, loader=None, templar=None, shared_loader_obj=None)
    action._execute_module = MagicMock(return_value=reply)
    return action
