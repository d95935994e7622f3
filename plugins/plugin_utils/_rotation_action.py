# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the collection: the rotation engine's action base, one phase per task.

    read    every host: one WinRM execution (the product's read script); returns the state as data
    plan    once, on the controller: the product's rules over every host's state -> plan document
    apply   every host, once per wave: this host's steps of that wave, in plan order
    verify  every host: one read, compared with the facts the plan expects there
    estate  once, on the controller: the product's certificates by role, what the product does by
            itself and the next human action, from the same reads (no rotation input needed)

A product's action plugin sets ``RULES`` to its module in ``module_utils/_products``; that module
holds every decision (see docs/adding-a-product.md for the functions it provides). The base
holds the mechanics: argument checks, script execution, secrets, and failures that say what was
and was not changed and whether a re-run is safe.
"""
from __future__ import annotations

import time

from ansible.errors import AnsibleError

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError, UncertainOutcome
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_plan import check_document, steps_of
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_render import plan_lines
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_verify import fact_mismatches
from ansible_collections.certops.microsoft.plugins.module_utils._time import utc_now
from ansible_collections.certops.microsoft.plugins.plugin_utils._action import CertopsActionBase
from ansible_collections.certops.microsoft.plugins.plugin_utils._action import READ_RUNNER, host_of, registered_by_play_host, single_output

PHASE_SPEC = {
    "phase": {"type": "str", "required": True, "choices": ["read", "plan", "apply", "verify", "summary", "estate"]},
    "reads": {"type": "dict"},
    "plan": {"type": "dict"},
    "wave": {"type": "int"},
    "cleanup": {"type": "bool", "default": False},
    "verified": {"type": "bool", "default": False},
    "reads_from": {"type": "str"},
    "settings_from_variables": {"type": "bool", "default": False},
}
# The phases given a product's secret options by settings_from_variables, unless its PHASE_OPTIONS say otherwise.
SECRET_PHASES = ("plan", "apply")
RERUN = "Re-run the same play: it reads the live state of every host again and does only what is still missing."


class StepFailure(CertopsError):
    """A step that failed (``uncertain``: it got no answer, so it may have taken effect)."""

    def __init__(self, message: str, uncertain: bool):
        super().__init__(message)
        self.uncertain = uncertain


def transport_error(error: Exception) -> str:
    """One line for an exception from the connection: its type when the text says little."""
    text = " ".join(str(error).split())
    return text if isinstance(error, AnsibleError) else f"{type(error).__name__}: {text}"


def step_label(document: dict, step: dict, cleanup: bool) -> str:
    steps = document["cleanup" if cleanup else "steps"]
    number = next(index for index, item in enumerate(steps, start=1) if item["id"] == step["id"])
    kind = "cleanup step" if cleanup else "step"
    return f"{kind} {number} of {len(steps)} ({step['host']}: {step['phase']}: {step['action']})"


def progress(document: dict, step: dict, cleanup: bool, done_here: list) -> str:
    """What had been done when ``step`` failed, and what had not."""
    steps = document["cleanup" if cleanup else "steps"]
    before = [item["id"] for item in steps if item["wave"] < step["wave"]] + done_here
    others = [item["id"] for item in steps if item["wave"] == step["wave"] and item["host"] != step["host"]]
    after = [item["id"] for item in steps if item["wave"] > step["wave"]]
    text = f"Done before it: {', '.join(before) or 'nothing'}."
    if others:
        text += f" Running beside it on other hosts: {', '.join(others)}."
    return text + f" Not started: {', '.join(after) or 'nothing after it'}."


class RotationActionBase(CertopsActionBase):
    """The four phases; ``RULES`` (a product module) decides, the base executes."""

    RULES = None
    SCRIPT_OUTPUT_DEPTH = 5

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._progress: list = []   # what the watches of this task's steps read, in order

    def perform(self, params: dict, task_vars: dict) -> dict:
        return getattr(self, f"phase_{params['phase']}")(params, task_vars)

    def task_arguments(self, task_vars: dict) -> dict:
        """The task's arguments, completed: with ``settings_from_variables``, each product option the task
        leaves out from the role's variable of the same name (``<role>_<option>``); with ``reads_from``,
        ``reads`` from that registered variable of every play host (the role's tasks stay template-free,
        so the forked workers compile no Jinja for them)."""
        args = self.settings_from(task_vars, {option: f"{self.RULES.VAR}{option}" for option in self.settings_of(self._task.args.get("phase"))})
        if args.get("reads_from") and "reads" not in args:
            args = dict(args, reads=registered_by_play_host(task_vars, args["reads_from"]))
        return args

    def settings_of(self, phase) -> list:
        """The product options a phase takes from the role's variables: the ones the product's
        ``PHASE_OPTIONS`` names for it, else every option, secrets (no_log) only in SECRET_PHASES, so
        that no other phase holds them (nor masks its whole result for them)."""
        named = getattr(self.RULES, "PHASE_OPTIONS", {}).get(phase)
        if named is not None:
            return list(named)
        spec = getattr(self.RULES, "ARGUMENT_SPEC", {})
        return [option for option in spec if phase in SECRET_PHASES or not spec[option].get("no_log")]

    # --- read -------------------------------------------------------------------------------
    def read_state(self, role: str, inputs: dict, task_vars: dict) -> dict:
        """{part: state} for each part the host plays (one execution each; one part for most hosts), plus what
        the product reads from the controller for this host (a cloud API), when it has such a read."""
        state = {}
        for part, script, parameters in self.RULES.read_requests(role, inputs):
            state[part] = self.RULES.normalise(part, single_output(self.run_script(script, task_vars, parameters, runner=READ_RUNNER), script))
        controller_read = getattr(self.RULES, "controller_read", None)
        if controller_read is not None:
            state.update(controller_read(role, inputs))
        return state

    def phase_read(self, params: dict, task_vars: dict) -> dict:
        """One read; a host that cannot be read is reported as data, so that the plan refuses with every reason at once."""
        role = self.RULES.host_role(host_of(task_vars), params, task_vars)
        if role is None:
            return {"changed": False, "role": None, "state": None}
        try:
            return {"changed": False, "role": role, "state": self.read_state(role, params, task_vars)}
        except CertopsError as error:
            return {"changed": False, "role": role, "state": None, "read_error": str(error)}
        except Exception as error:  # pylint: disable=broad-exception-caught
            # Any transport failure (see execute_step) means this host cannot be read now.
            return {"changed": False, "role": role, "state": None, "read_error": transport_error(error), "unreachable_host": True}

    # --- plan -------------------------------------------------------------------------------
    def plan_context(self, params: dict, task_vars: dict) -> dict:
        if not isinstance(params.get("reads"), dict):
            raise CertopsError(f"{params['phase']}: give 'reads', the registered read phase result of every host of the play, by inventory host")
        return {"groups": task_vars.get("groups") or {}, "play_hosts": list(task_vars.get("ansible_play_hosts_all") or []), "now": utc_now()}

    def phase_plan(self, params: dict, task_vars: dict) -> dict:
        document = self.RULES.plan(params, params["reads"], self.plan_context(params, task_vars)).to_dict()
        # What ansible.builtin.set_stats returns, so that AWX / Automation Platform hands the plan to the
        # workflow's next node (an approval shows it) without another task.
        stats = {"data": {"certops_plans": {document["product"]: document}}, "per_host": False, "aggregate": True}
        # Check mode stops at the plan, so its closing lines come with it (no separate summary task).
        lines = plan_lines(document) + (self.closing_lines(document, params) if self.check_mode else [])
        return {"changed": bool(document["steps"]) and self.check_mode, "plan": document, "lines": lines, "ansible_stats": stats}

    # --- estate -----------------------------------------------------------------------------
    def phase_estate(self, params: dict, task_vars: dict) -> dict:
        """The product's part of the estate report (module_utils/_estate.py documents the rows); a host
        that could not be read is a row of its own there, never a task failure."""
        estate = getattr(self.RULES, "estate", None)
        if estate is None:
            raise CertopsError(f"estate: {self._task.action} has no estate view yet")
        context = self.plan_context(params, task_vars)
        return {"changed": False, "estate": estate(params, params["reads"], context)}

    # --- apply ------------------------------------------------------------------------------
    def phase_apply(self, params: dict, task_vars: dict) -> dict:
        document = check_document(params.get("plan"))
        if params.get("wave") is None:
            raise CertopsError("apply: give 'wave', the number of the wave to apply (the plan's 'waves' list)")
        steps = steps_of(document, host_of(task_vars), params["wave"], params["cleanup"])
        if self.check_mode or not steps:
            return {"changed": bool(steps), "applied": []}
        secrets = self.RULES.secret_inputs(params, document, steps) if any(step["secrets"] for step in steps) else {}
        done = []
        for step in steps:
            self.apply_step(document, step, secrets, task_vars, params["cleanup"], done)
            done.append(step["id"])
        return {"changed": True, "applied": done, "progress": self._progress}

    def apply_step(self, document: dict, step: dict, secrets: dict, task_vars: dict, cleanup: bool, done: list) -> None:
        label = step_label(document, step, cleanup)
        try:
            reply = self.execute_step(step, secrets, task_vars)
        except StepFailure as failure:
            raise CertopsError(self.failure_message(document, step, cleanup, done, failure)) from None
        problem = self.step_problem(step, reply) or self.poll_problem(step, task_vars) or self.health_problem(step, task_vars)
        if problem:
            raise CertopsError(f"apply: {label} ran but {problem}. {progress(document, step, cleanup, done)} {RERUN}")

    def step_problem(self, step: dict, reply) -> str:
        """What the step's answer shows that it was not for (the product's check; "" when it has none)."""
        check = getattr(self.RULES, "step_problem", None)
        return check(step, reply) if check is not None else ""

    def poll_problem(self, step: dict, task_vars: dict) -> str:
        """Watch a long operation the step started (a cluster upgrade) until its read shows ``until``;
        "" when it got there, else why not (a ``fail`` value, or the timeout)."""
        poll = step.get("poll") or {}
        deadline = time.monotonic() + float(poll.get("timeout_seconds", 0))
        while poll:
            try:
                output = single_output(self.run_script(poll["script"], task_vars, poll.get("parameters") or {}), poll["script"])
            except Exception as error:  # pylint: disable=broad-exception-caught
                return f"its watch ({poll['script']}) could not be read: {transport_error(error)}; the operation may still be running"
            self._progress.append({"step": step["id"], **{key: output.get(key) for key in poll.get("progress_keys", [])}})
            if not fact_mismatches(poll["until"], output):
                return ""
            failed = [key for key, values in (poll.get("fail") or {}).items() if output.get(key) in values]
            if failed:
                return f"its watch read {', '.join(f'{key} = {output.get(key)}' for key in failed)}"
            if time.monotonic() >= deadline:
                return f"its watch timed out after {poll['timeout_seconds']} s ({'; '.join(fact_mismatches(poll['until'], output))})"
            time.sleep(float(poll.get("interval_seconds", 10)))
        return ""

    def health_problem(self, step: dict, task_vars: dict) -> str:
        """The step's health gate (a read whose answer must show ``expect``); "" when it passes or there is none."""
        gate = step.get("gate") or {}
        if not gate:
            return ""
        try:
            output = single_output(self.run_script(gate["script"], task_vars, gate.get("parameters") or {}), gate["script"])
        except Exception as error:  # pylint: disable=broad-exception-caught
            return f"its health gate ({gate['script']}) could not be read: {transport_error(error)}; the roll stopped here"
        mismatches = fact_mismatches(gate["expect"], output)
        return f"its health gate failed ({'; '.join(mismatches)}); the roll stopped here" if mismatches else ""

    def failure_message(self, document: dict, step: dict, cleanup: bool, done: list, failure: StepFailure) -> str:
        label = step_label(document, step, cleanup)
        if failure.uncertain:
            head = f"apply: {label} got no answer ({failure}): it may or may not have taken effect on {step['host']}."
        else:
            head = f"apply: {label} failed and changed nothing: {failure}."
        return f"{head} {progress(document, step, cleanup, done)} {RERUN}"

    def execute_step(self, step: dict, secrets: dict, task_vars: dict):
        """Run one step; StepFailure when it failed (uncertain when the connection gave no answer)."""
        named = {parameter: secrets[name] for parameter, name in step["secrets"].items()}
        try:
            if step["controller"]:
                return self.RULES.controller_step(step, named)
            if step["script"]:
                return single_output(self.run_script(step["script"], task_vars, step["parameters"], named), step["script"])
            return self.run_module(step, task_vars)
        except UncertainOutcome as error:
            raise StepFailure(str(error).rstrip("."), uncertain=True) from None
        except CertopsError as error:
            raise StepFailure(str(error).rstrip("."), uncertain=False) from None
        except Exception as error:  # pylint: disable=broad-exception-caught
            # The connection plugin and the HTTP stack under it raise their own types (a dropped
            # connection surfaces as requests' ConnectionError): whatever it is, the request was
            # sent and no answer came back, so the outcome is unknown.
            raise StepFailure(transport_error(error), uncertain=True) from None

    def run_module(self, step: dict, task_vars: dict) -> dict:
        reply = self._execute_module(module_name=step["module"], module_args=step["module_args"], task_vars=task_vars)
        if reply.get("failed") or reply.get("unreachable"):
            raise CertopsError(f"{step['module']} failed on the target: {reply.get('msg') or 'no message'}")
        return reply

    # --- verify -----------------------------------------------------------------------------
    def phase_verify(self, params: dict, task_vars: dict) -> dict:
        document, host = check_document(params.get("plan")), host_of(task_vars)
        expected = document["expected"].get(host)
        if not expected:
            return {"changed": False, "verified": True, "facts": {}}
        state = self.read_state(document["hosts"][host], document["inputs"], task_vars)
        facts = self.RULES.facts(document["hosts"][host], state, document)
        mismatches = fact_mismatches(expected, facts)
        if mismatches:
            raise CertopsError(f"verify: {host} does not show the planned end state: {'; '.join(mismatches)}. "
                               f"Cleanup was not run. {RERUN}")
        return {"changed": False, "verified": True, "facts": facts}

    # --- summary ----------------------------------------------------------------------------
    def phase_summary(self, params: dict, task_vars: dict) -> dict:
        """The closing lines: what the plan does, what this run did, where it stopped, and the person's next action."""
        del task_vars
        return {"changed": False, "msg": self.closing_lines(check_document(params.get("plan")), params), "_ansible_verbose_always": True}

    def closing_lines(self, document: dict, params: dict) -> list:
        outcome, state = self.outcome(document, params)
        return document["summary"] + [outcome] + stop_lines(document) + [f"Next: {document['next'].get(state, 'nothing')}"]

    def outcome(self, document: dict, params: dict) -> tuple:
        """(the line saying what this run did, the key of the plan's ``next`` that applies)."""
        steps, cleaned = len(document["steps"]), params["cleanup"] and params["verified"]
        if self.check_mode:
            return f"Check mode: nothing was changed; {steps} step(s) planned.", "check"
        if not params["verified"]:
            return "Not verified in this run (was certops_verify skipped?); run again to verify.", "applied"
        line = f"Applied {steps} step(s); verified on every host the plan names."
        if cleaned:
            return line + f" Cleanup applied {len(document['cleanup'])} step(s).", "cleaned"
        return line, document["status"] if document["status"] in ("waiting", "manual_gate") else "applied"


def stop_lines(document: dict) -> list:
    """Where the rotation stops for now: product timers and manual gates, with the exact values to enter."""
    lines = [f"Waiting until {wait['until']}: {wait['reason']}; re-run after that: {wait['then']}." for wait in document["waits"]]
    for gate in document["manual_gates"]:
        values = "; ".join(f"{name} = {value}" for name, value in gate["values"].items())
        deadline = f" (before {gate['deadline']})" if gate["deadline"] else ""
        lines.append(f"Stopped at a manual step{deadline}: {gate['title']}. {gate['instructions']} {values}. The next run checks it "
                     "before it goes on.")
    return lines
