# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of plugin_utils/_rotation_action.py: the engine's phases over a small product, with replayed win_powershell replies."""
from __future__ import annotations

import types
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleConnectionFailure
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError, UncertainOutcome
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_gates import Gates
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_plan import ManualGate, Plan, Step, Wait
from ansible_collections.certops.microsoft.plugins.plugin_utils import _rotation_action
from ansible_collections.certops.microsoft.tests.unit.plugins.plugin_utils import action_harness
from ansible_collections.certops.microsoft.tests.unit.plugins.plugin_utils.action_harness import trust_as_template, win_powershell_reply

SECRET = "Pfx-Secret-9f2!"
NOW = "2026-12-03T00:00:00Z"


def demo_steps() -> list:
    return [Step("import", "a", "stage", "import", "import on a", script="windows_certificate_import", parameters={"Thumbprint": "AB"},
                 secrets={"PfxPassword": "pfx_password"}),
            Step("grant", "a", "stage", "grant", "grant on a", script="windows_certificate_key_access", parameters={"Thumbprint": "AB"}),
            Step("switch", "b", "activate", "switch", "switch on b", script="wfm_outbound_certificate_set", after=["grant"])]


def demo_plan(**fields) -> dict:
    values = {"steps": demo_steps(), "expected": {"a": {"ok": True}}, "summary": ["a summary"],
              "next": {"check": "apply it", "applied": "clean up", "cleaned": "nothing", "waiting": "wait", "manual_gate": "go to the portal"}}
    values.update(fields)
    return Plan("demo", NOW, {"a": "x", "b": "y"}, **values).to_dict()


def rules(**hooks):
    """A product: hosts a and b; one read script; facts from the read; secrets named pfx_password."""
    def plan(params, reads, context):
        gates = Gates()
        gates.require(params["flavour"] != "bad", "flavour 'bad' is refused; pick another")
        gates.close()
        return Plan("demo", NOW, {"a": "x"}, steps=demo_steps()[:1] if params["flavour"] == "one" else [])
    module = types.SimpleNamespace(
        host_role=lambda host, params, task_vars: {"a": "x", "b": "y"}.get(host),
        read_requests=lambda role, inputs: [("part", "wfm_host_get", {"ServiceUri": "u"})],
        normalise=lambda part, output: {"value": output.get("Value")},
        plan=plan, facts=lambda role, state, document: {"ok": state["part"]["value"] == "good"},
        secret_inputs=lambda params, document, steps: {"pfx_password": SECRET}, step_problem=lambda step, reply: "")
    module.__dict__.update(hooks)
    return module


def action(args: dict, replies=(), check_mode=False, product=None):
    class Demo(_rotation_action.RotationActionBase):
        RULES = product or rules()
        ARGUMENT_SPEC = {**_rotation_action.PHASE_SPEC, "flavour": {"type": "str", "default": "one"}}
    made = action_harness.make_action(Demo, args, win_powershell_reply(), check_mode)
    made._execute_module = MagicMock(side_effect=list(replies))
    return made


def output(**values):
    return win_powershell_reply(output=[values])


def run(made, host="a") -> dict:
    return made.run(task_vars={"inventory_hostname": host, "groups": {}, "ansible_play_hosts_all": ["a", "b"]})


def scripts_called(made) -> list:
    return [call.kwargs["module_args"]["script"].splitlines()[0] for call in made._execute_module.call_args_list]


# --- read -----------------------------------------------------------------------------------------
def test_read_makes_one_execution_and_returns_the_normalised_state():
    made = action({"phase": "read"}, [output(Value="good")])
    assert run(made) == {"changed": False, "role": "x", "state": {"part": {"value": "good"}}}
    assert scripts_called(made) == ["# certops-script: wfm_host_get"]


def test_reads_run_through_the_lean_read_runner_and_writes_through_win_powershell():
    made = action({"phase": "read"}, [output(Value="good")])
    run(made)
    assert made._execute_module.call_args.kwargs["module_name"] == "certops.microsoft.win_read_script"
    applied = action({"phase": "apply", "plan": demo_plan(), "wave": 1}, [output(), output()])
    run(applied)
    assert {call.kwargs["module_name"] for call in applied._execute_module.call_args_list} == {"ansible.windows.win_powershell"}


def test_read_on_a_host_outside_the_product_makes_no_execution():
    made = action({"phase": "read"})
    assert run(made, host="c") == {"changed": False, "role": None, "state": None}
    assert made._execute_module.call_count == 0


def test_read_turns_a_failed_script_into_data_for_the_plan_not_a_task_failure():
    made = action({"phase": "read"}, [win_powershell_reply(failed=True, msg="Cannot access the local farm")])
    result = run(made)
    assert "failed" not in result and "Cannot access the local farm" in result["read_error"]


def test_read_reports_a_transport_failure_as_an_unreachable_host():
    made = action({"phase": "read"}, [ConnectionError("Connection aborted")])
    result = run(made)
    assert result["unreachable_host"] is True and result["read_error"] == "ConnectionError: Connection aborted"


# --- plan -----------------------------------------------------------------------------------------
def test_plan_needs_every_hosts_read():
    assert "give 'reads'" in run(action({"phase": "plan"}))["msg"]


@pytest.mark.parametrize("check_mode, changed", [(True, True), (False, False)])
def test_plan_returns_the_document_and_its_lines_and_reports_changes_only_in_check_mode(check_mode, changed):
    result = run(action({"phase": "plan", "reads": {}}, check_mode=check_mode))
    assert result["changed"] is changed and result["plan"]["status"] == "ready" and result["lines"][0].startswith("certops plan (demo")


def test_plan_refusal_is_one_failed_result_with_every_reason():
    result = run(action({"phase": "plan", "reads": {}, "flavour": "bad"}))
    assert result["failed"] is True and result["msg"] == "preflight: flavour 'bad' is refused; pick another. Nothing was changed."


# --- apply ----------------------------------------------------------------------------------------
def test_apply_runs_this_hosts_steps_of_the_wave_in_order_with_secrets_as_sensitive_parameters():
    made = action({"phase": "apply", "plan": demo_plan(), "wave": 1}, [output(Done=1), output(Done=2)])
    result = run(made)
    assert result == {"changed": True, "applied": ["import", "grant"], "progress": []}
    first = made._execute_module.call_args_list[0].kwargs["module_args"]
    assert first["parameters"] == {"Thumbprint": "AB"} and first["sensitive_parameters"] == [{"name": "PfxPassword", "value": SECRET}]
    assert SECRET not in repr(result)


def test_apply_in_check_mode_or_without_steps_makes_no_execution():
    assert run(action({"phase": "apply", "plan": demo_plan(), "wave": 1}, check_mode=True)) == {"changed": True, "applied": []}
    made = action({"phase": "apply", "plan": demo_plan(), "wave": 2})
    assert run(made) == {"changed": False, "applied": []} and made._execute_module.call_count == 0


def test_a_failed_step_says_it_changed_nothing_what_was_done_what_was_not_and_to_rerun():
    made = action({"phase": "apply", "plan": demo_plan(), "wave": 1}, [output(Done=1), win_powershell_reply(failed=True, msg="Access is denied.")])
    message = run(made)["msg"]
    assert message.startswith("apply: step 2 of 3 (a: stage: grant) failed and changed nothing: certops script windows_certificate_key_access")
    assert "Done before it: import. Not started: switch." in message and message.endswith(_rotation_action.RERUN)


@pytest.mark.parametrize("error", [AnsibleConnectionFailure("winrm connection error"), ConnectionError("Remote end closed connection")])
def test_a_step_without_an_answer_says_it_may_or_may_not_have_taken_effect(error):
    made = action({"phase": "apply", "plan": demo_plan(), "wave": 2}, [error])
    message = run(made, host="b")["msg"]
    assert message.startswith("apply: step 3 of 3 (b: activate: switch) got no answer (")
    assert "it may or may not have taken effect on b. Done before it: import, grant. Not started: nothing after it." in message


def test_a_step_whose_answer_shows_something_else_fails_with_the_products_words():
    product = rules(step_problem=lambda step, reply: "its answer shows no key" if step["id"] == "import" else "")
    message = run(action({"phase": "apply", "plan": demo_plan(), "wave": 1}, [output(Done=1)], product=product))["msg"]
    assert message.startswith("apply: step 1 of 3 (a: stage: import) ran but its answer shows no key.")


def test_a_controller_step_runs_in_the_product_and_a_lost_answer_is_uncertain():
    calls = []

    def controller_step(step, secrets):
        calls.append((step["controller"], secrets))
        raise UncertainOutcome("the PATCH of domain contoso.com timed out after it was sent")
    steps = [Step("patch", "a", "publish", "patch", "patch Entra", controller="entra_patch", secrets={"Key": "pfx_password"})]
    made = action({"phase": "apply", "plan": demo_plan(steps=steps), "wave": 1}, product=rules(controller_step=controller_step))
    message = run(made)["msg"]
    assert calls == [("entra_patch", {"Key": SECRET})] and made._execute_module.call_count == 0
    assert "got no answer (the PATCH of domain contoso.com timed out after it was sent)" in message and SECRET not in message


def test_a_module_step_runs_that_module_and_its_failure_is_reported():
    steps = [Step("remove", "a", "cleanup", "remove", "remove old", module="ansible.windows.win_certificate_store",
                  module_args={"thumbprint": "AB", "state": "absent"}, irreversible=True)]
    made = action({"phase": "apply", "plan": demo_plan(cleanup=steps), "wave": 1, "cleanup": True}, [{"changed": True}])
    assert run(made)["applied"] == ["remove"]
    assert made._execute_module.call_args.kwargs["module_name"] == "ansible.windows.win_certificate_store"
    failing = action({"phase": "apply", "plan": demo_plan(cleanup=steps), "wave": 1, "cleanup": True}, [{"failed": True, "msg": "in use"}])
    assert "cleanup step 1 of 1 (a: cleanup: remove) failed and changed nothing: ansible.windows.win_certificate_store failed" in run(failing)["msg"]


def watched(poll: dict) -> dict:
    steps = [Step("upgrade", "a", "activate", "upgrade", "start the upgrade", script="wfm_outbound_certificate_set",
                  poll={"script": "wfm_host_get", "interval_seconds": 0, "timeout_seconds": 5, "progress_keys": ["State"], **poll})]
    return demo_plan(steps=steps)


def test_a_watch_reads_until_the_operation_completes_and_keeps_its_progress():
    replies = [output(), output(State="RollingForwardInProgress"), output(State="RollingForwardCompleted")]
    result = run(action({"phase": "apply", "plan": watched({"until": {"State": "RollingForwardCompleted"}}), "wave": 1}, replies))
    assert result["progress"] == [{"step": "upgrade", "State": "RollingForwardInProgress"}, {"step": "upgrade", "State": "RollingForwardCompleted"}]


def test_a_watch_fails_on_a_failure_value_and_on_its_timeout():
    plan = watched({"until": {"State": "RollingForwardCompleted"}, "fail": {"State": ["RollingBackCompleted"]}})
    message = run(action({"phase": "apply", "plan": plan, "wave": 1}, [output(), output(State="RollingBackCompleted")]))["msg"]
    assert "ran but its watch read State = RollingBackCompleted." in message
    slow = watched({"until": {"State": "RollingForwardCompleted"}, "timeout_seconds": 0})
    assert "its watch timed out after 0 s (State: expected RollingForwardCompleted, found Pending)" in run(
        action({"phase": "apply", "plan": slow, "wave": 1}, [output(), output(State="Pending")]))["msg"]


def test_a_watch_read_without_an_answer_says_the_operation_may_still_be_running():
    plan = watched({"until": {"State": "RollingForwardCompleted"}})
    message = run(action({"phase": "apply", "plan": plan, "wave": 1}, [output(), ConnectionError("Connection aborted")]))["msg"]
    assert "ran but its watch (wfm_host_get) could not be read: ConnectionError: Connection aborted; the operation may still be running." in message
    assert message.endswith(_rotation_action.RERUN)


def test_a_failed_health_gate_stops_the_roll():
    steps = [Step("restart", "a", "activate", "restart", "restart a service", script="wfm_outbound_certificate_set", rolling=True,
                  gate={"script": "wfm_host_get", "parameters": {}, "expect": {"Healthy": True}})]
    made = action({"phase": "apply", "plan": demo_plan(steps=steps), "wave": 1}, [output(), output(Healthy=False)])
    assert "ran but its health gate failed (Healthy: expected True, found False); the roll stopped here." in run(made)["msg"]


# --- verify ---------------------------------------------------------------------------------------
def test_verify_reads_a_host_once_and_passes_when_it_shows_the_planned_end_state():
    made = action({"phase": "verify", "plan": demo_plan()}, [output(Value="good")])
    assert run(made) == {"changed": False, "verified": True, "facts": {"ok": True}} and made._execute_module.call_count == 1


def test_verify_names_each_difference_and_that_cleanup_did_not_run():
    message = run(action({"phase": "verify", "plan": demo_plan()}, [output(Value="bad")]))["msg"]
    assert message.startswith("verify: a does not show the planned end state: ok: expected True, found False. Cleanup was not run.")


def test_verify_makes_no_execution_on_a_host_the_plan_expects_nothing_of():
    made = action({"phase": "verify", "plan": demo_plan()})
    assert run(made, host="b")["verified"] is True and made._execute_module.call_count == 0


# --- summary --------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, check_mode, fields, outcome, next_action", [
    ({}, True, {}, "Check mode: nothing was changed; 3 step(s) planned.", "apply it"),
    ({"verified": True}, False, {}, "Applied 3 step(s); verified on every host the plan names.", "clean up"),
    ({"verified": True, "cleanup": True}, False, {}, "Cleanup applied 0 step(s).", "nothing"),
    ({}, False, {}, "Not verified in this run (was certops_verify skipped?); run again to verify.", "clean up"),
    ({"verified": True}, False, {"steps": [], "waits": [Wait("job", NOW, "the job runs", "clean up")]}, "Applied 0 step(s)", "wait"),
    ({"verified": True}, False, {"manual_gates": [ManualGate("lcs", "LCS Update Settings", "Enter:", {"Server": "AB"})]}, "Applied 3", "go to"),
])
def test_summary_says_what_the_run_did_and_the_next_action(args, check_mode, fields, outcome, next_action):
    result = run(action({"phase": "summary", "plan": demo_plan(**fields), **args}, check_mode=check_mode))
    assert result["_ansible_verbose_always"] is True and result["msg"][0] == "a summary"
    assert any(outcome in line for line in result["msg"]) and result["msg"][-1].startswith(f"Next: {next_action}")


def test_summary_names_the_manual_gate_with_its_values_and_the_wait_with_its_date():
    gates = [ManualGate("lcs", "LCS Update Settings", "Enter the thumbprints.", {"Server certificate": "AB"}, "2026-12-10T00:00:00Z")]
    lines = run(action({"phase": "summary", "plan": demo_plan(manual_gates=gates, waits=[Wait("job", NOW, "the job runs", "cleanup")]),
                        "verified": True}))["msg"]
    assert f"Waiting until {NOW}: the job runs; re-run after that: cleanup." in lines
    assert ("Stopped at a manual step (before 2026-12-10T00:00:00Z): LCS Update Settings. Enter the thumbprints. Server certificate = AB. "
            "The next run checks it before it goes on.") in lines


def test_plan_hands_the_plan_to_set_stats_for_awx_and_the_summary_shows_only_its_lines():
    result = run(action({"phase": "plan", "reads": {}}))
    assert result["ansible_stats"] == {"data": {"certops_plans": {"demo": result["plan"]}}, "per_host": False, "aggregate": True}
    assert set(run(action({"phase": "summary", "plan": demo_plan()}))) == {"changed", "msg", "_ansible_verbose_always"}


def test_apply_and_verify_refuse_something_that_is_not_a_plan_document():
    assert "expected the plan document" in run(action({"phase": "apply", "plan": {"steps": []}, "wave": 1}))["msg"]
    assert "give 'wave'" in run(action({"phase": "apply", "plan": demo_plan()}))["msg"]


def test_read_reports_a_product_error_raised_under_it_as_data():
    made = action({"phase": "read"}, [CertopsError("never raised by a read")])
    assert run(made)["read_error"]


# --- settings_from_variables and reads_from (role tasks without templated arguments) ---------------
class RegisteredHostVars(dict):
    """What HostVars.raw_get gives an action: each host's variables as stored."""

    def raw_get(self, host: str) -> dict:
        return self[host]


def settings_product():
    """A product whose options map to the role's variables demo_<option>; pfx_password is a secret."""
    def plan(params, reads, context):
        del reads, context
        gates = Gates()
        gates.require(params["flavour"] != "bad", "flavour 'bad' is refused; pick another")
        gates.close()
        return Plan("demo", NOW, {"a": "x"}, summary=[f"flavour {params['flavour']}, password given: {bool(params['pfx_password'])}"])
    spec = {"flavour": {"type": "str", "default": "one"}, "pfx_password": {"type": "str", "no_log": True}}
    return rules(VAR="demo_", ARGUMENT_SPEC=spec, plan=plan)


def settings_action(args: dict, variables: dict, check_mode=False):
    product = settings_product()

    class Demo(_rotation_action.RotationActionBase):
        RULES = product
        ARGUMENT_SPEC = {**_rotation_action.PHASE_SPEC, **product.ARGUMENT_SPEC}
    made = action_harness.make_action(Demo, args, win_powershell_reply(), check_mode)
    made._templar = Templar(loader=DataLoader(), variables=variables)
    made._execute_module = MagicMock(side_effect=[output(Value="good")])
    return made


def run_with(made, variables: dict, host="a") -> dict:
    return made.run(task_vars={"inventory_hostname": host, "groups": {}, "ansible_play_hosts_all": ["a", "b"], **variables})


def test_settings_from_variables_takes_each_option_the_task_leaves_out_from_the_roles_variable():
    variables = {"demo_flavour": "bad", "demo_pfx_password": SECRET}
    result = run_with(settings_action({"phase": "plan", "reads": {}, "settings_from_variables": True}, variables), variables)
    assert result["failed"] is True and "flavour 'bad' is refused" in result["msg"]


def test_settings_from_variables_keeps_what_the_task_sets_and_renders_a_variable_holding_a_template():
    variables = {"demo_flavour": "bad", "demo_source": "one", "demo_pfx_password": trust_as_template("{{ demo_source }}-secret")}
    args = {"phase": "plan", "reads": {}, "settings_from_variables": True, "flavour": "good"}
    result = run_with(settings_action(args, variables), variables)
    assert result["plan"]["summary"] == ["flavour good, password given: True"]


def test_settings_from_variables_treats_an_empty_or_null_variable_as_not_given():
    variables = {"demo_flavour": "", "demo_pfx_password": None}
    result = run_with(settings_action({"phase": "plan", "reads": {}, "settings_from_variables": True}, variables), variables)
    assert result["plan"]["summary"] == ["flavour one, password given: False"]


def test_settings_from_variables_hands_secrets_only_to_the_phases_that_use_them():
    variables = {"demo_pfx_password": SECRET}
    made = settings_action({"phase": "read", "settings_from_variables": True}, variables)
    assert "pfx_password" not in made.task_arguments(variables) and run_with(made, variables)["state"] == {"part": {"value": "good"}}
    assert settings_action({"phase": "plan", "settings_from_variables": True}, variables).task_arguments(variables)["pfx_password"] == SECRET


def test_without_settings_from_variables_the_roles_variables_are_ignored():
    variables = {"demo_flavour": "bad"}
    result = run_with(settings_action({"phase": "plan", "reads": {}}, variables), variables)
    assert "failed" not in result and result["plan"]["summary"] == ["flavour one, password given: False"]


def test_reads_from_takes_every_play_hosts_registered_read_as_stored():
    reads = {"a": {"role": "x", "state": {"part": {"value": "good"}}}, "b": {"role": "y", "state": None}}
    variables = {"hostvars": RegisteredHostVars({host: {"__demo_read": read} for host, read in reads.items()}), "ansible_play_hosts_all": ["a", "b"]}
    made = settings_action({"phase": "plan", "reads_from": "__demo_read"}, variables)
    assert made.task_arguments(variables)["reads"] == reads and "failed" not in run_with(made, variables)


def test_check_mode_plan_lines_end_with_the_closing_lines_a_real_run_prints_in_its_summary():
    checked = run(action({"phase": "plan", "reads": {}}, check_mode=True))
    assert checked["lines"][-2:] == ["Check mode: nothing was changed; 1 step(s) planned.", "Next: nothing"]
    real = run(action({"phase": "plan", "reads": {}}))
    assert not any(line.startswith("Check mode") or line.startswith("Next:") for line in real["lines"])


def test_phase_options_limit_what_a_phase_takes_from_the_roles_variables():
    variables = {"demo_flavour": "bad", "demo_pfx_password": SECRET}
    made = settings_action({"phase": "verify", "settings_from_variables": True}, variables)
    made.RULES.PHASE_OPTIONS = {"verify": ("pfx_password",)}
    assert made.task_arguments(variables) == {"phase": "verify", "settings_from_variables": True, "pfx_password": SECRET}
