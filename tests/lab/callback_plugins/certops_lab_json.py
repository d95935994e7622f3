# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stdout callback for the lab's tests: the whole run as one JSON document.

ansible-core ships no JSON stdout callback (it lives in ansible.posix, which the test environment
does not install), so the lab's pytest fixture points ANSIBLE_CALLBACK_PLUGINS here.
"""
from __future__ import annotations

import json

from ansible.module_utils.common.json import AnsibleJSONEncoder
from ansible.plugins.callback import CallbackBase
from ansible.vars.clean import module_response_deepcopy, strip_internal_keys

DOCUMENTATION = """
    name: certops_lab_json
    type: stdout
    short_description: the whole playbook run as one JSON document (certops lab tests)
    description:
      - Prints one JSON object with C(plays) (each with its C(tasks), each with per-host results under C(hosts))
        and C(stats) (per-host counters) once the run ends, with C(custom_stats) (what set_stats gathered for the
        whole run, as AWX receives it).
"""

STAT_KEYS = ("ok", "changed", "failures", "unreachable", "skipped", "rescued", "ignored")


def task_result_data(result) -> dict:
    """The result dict of a task result on every supported ansible-core (2.19+ ``.result``, older ``._result``)."""
    data = getattr(result, "result", None)
    if not isinstance(data, dict):
        data = result._result  # pylint: disable=protected-access
    return json.loads(json.dumps(strip_internal_keys(module_response_deepcopy(data)), cls=AnsibleJSONEncoder))


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "certops_lab_json"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plays = []

    def v2_playbook_on_play_start(self, play):
        self.plays.append({"play": {"name": play.get_name()}, "tasks": []})

    def _task_start(self, task):
        self.plays[-1]["tasks"].append({"task": {"name": task.get_name()}, "hosts": {}})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_start(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._task_start(task)

    def _record(self, result, **flags):
        data = task_result_data(result)
        data.update(flags)
        self.plays[-1]["tasks"][-1]["hosts"][result._host.get_name()] = data  # pylint: disable=protected-access

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_playbook_on_stats(self, stats):
        summary = {host: {key: value for key, value in stats.summarize(host).items() if key in STAT_KEYS}
                   for host in sorted(stats.processed)}
        custom = dict(stats.custom.get("_run", {})) if hasattr(stats, "custom") else {}
        self._display.display(json.dumps({"plays": self.plays, "stats": summary, "custom_stats": custom}, cls=AnsibleJSONEncoder, sort_keys=True))
