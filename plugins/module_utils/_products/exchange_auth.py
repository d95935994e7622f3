# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Exchange Server Auth (OAuth) certificate: the product's rules for the rotation engine.

PRIVATE to the collection: the name and location may change without notice.

Every Mailbox server is read once (exchange_auth_get: AuthConfig, hybrid, the organisation's
servers, the certificates with their key provider and services, the SMTP default certificate,
process start times). The plan applies MEAC's decision matrix (exchange_auth_matrix, from
Microsoft's MonitorExchangeAuthCertificate.ps1) and builds on it (exchange_auth_decide): repair
by import, stage a new next certificate with MEAC's effective date (at least 48 hours ahead),
replace a dead one, publish a staged one once its date has passed, restart and recycle server by
server behind health gates, verify OAuth, and clean up the previous certificate only when asked.

A new certificate is created on a server (New-ExchangeCertificate), so its thumbprint is known only
after that step: a plan that needs one holds only the creation step and says ``replan``; the role
then reads the acting server again and plans the rest with the certificate (which a re-run after an
interruption finds the same way: an unused Auth certificate is adopted, never created twice).
"""
from __future__ import annotations

import secrets

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._products import exchange_auth_hybrid as hybrid
from ansible_collections.certops.microsoft.plugins.module_utils._products import exchange_auth_inputs as inputs
from ansible_collections.certops.microsoft.plugins.module_utils._products import exchange_auth_state as state_rules
from ansible_collections.certops.microsoft.plugins.module_utils._products import exchange_auth_steps as steps_rules
from ansible_collections.certops.microsoft.plugins.module_utils._products import exchange_auth_text as text
from ansible_collections.certops.microsoft.plugins.module_utils._products.exchange_auth_decide import decide, expiry
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_gates import Gates
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_plan import Plan, Wait
from ansible_collections.certops.microsoft.plugins.module_utils._time import iso_z
# The engine's estate phase calls RULES.estate.
from ansible_collections.certops.microsoft.plugins.module_utils._products.exchange_auth_estate import estate  # noqa: F401 pylint: disable=unused-import

PRODUCT = "exchange_auth"
VAR = inputs.VAR
ROLE = "mailbox"
EXCHANGE_ONLINE_EWS = "https://outlook.office365.com/ews/exchange.asmx"
ARGUMENT_SPEC = {
    "group": {"type": "str", "default": "exchange"},
    "thumbprint": {"type": "str"},
    "effective_date": {"type": "str"},
    "enforce_new": {"type": "bool", "default": False},
    "ignore_unreachable_servers": {"type": "bool", "default": False},
    "ignore_hybrid": {"type": "bool", "default": False},
    "restart": {"type": "bool", "default": True},
    "test_mailbox": {"type": "str", "default": ""},
    "exchange_online_uri": {"type": "str", "default": EXCHANGE_ONLINE_EWS},
    "replanned": {"type": "bool", "default": False},
    **hybrid.ARGUMENT_SPEC,
}
VALIDATION_RULES = {}
controller_read = hybrid.controller_read


# --- hosts and reads ------------------------------------------------------------------------------
def host_role(host: str, params: dict, task_vars: dict):
    """Every server of the group; the first also reads the hybrid application from Graph when it is managed."""
    group = (task_vars.get("groups") or {}).get(params["group"]) or []
    if host not in group:
        return None
    return f"{ROLE}+{hybrid.ROLE}" if hybrid.managed(params) and host == group[0] else ROLE


def read_requests(role: str, settings: dict) -> list:
    """One execution per server; verify (``probe`` in the plan's inputs) adds the functional probes."""
    del role
    return [("exchange", "exchange_auth_get", steps_rules.probe_parameters(settings) if settings.get("probe") else {})]


def normalise(part: str, output: dict) -> dict:
    del part
    return state_rules.normalise(output)


def group_hosts(gates: Gates, params: dict, context: dict) -> list:
    hosts = list((context["groups"] or {}).get(params["group"]) or [])
    gates.require(hosts, f"inventory group '{params['group']}' ({VAR}group) is unknown or empty; name the group of the Exchange Mailbox servers")
    missing = [host for host in hosts if host not in context["play_hosts"]]
    gates.require(not missing, f"{', '.join(missing)} belong to the {params['group']} group but not to this play (--limit or the play's hosts): "
                               "every Mailbox server takes part")
    return hosts


# --- the plan -------------------------------------------------------------------------------------
def plan(params: dict, reads: dict, context: dict) -> Plan:
    """The run from one read of every server, or one refusal listing every reason."""
    gates = Gates()
    hosts = group_hosts(gates, params, context)
    given = {"thumbprint": gates.run(inputs.checked_thumbprint, params), "date": gates.run(inputs.checked_date, params)}
    for problem in hybrid.settings_refusals(params):
        gates.refuse(problem)
    gates.close()
    org = state_rules.organisation_of(reads, hosts, params["ignore_unreachable_servers"], gates)
    gates.close()
    state_rules.listing_gates(gates, org, hosts, params["ignore_unreachable_servers"])
    org.application = hybrid.application_of(reads) if hybrid.managed(params) else None
    hybrid.hybrid_gates(gates, org, params, org.application)
    gates.close()
    org.roles = {host: reads[host]["role"] for host in org.hosts}
    decision = decide(org, org.now, params, given["date"])
    decided = gates.run(resolve, org, decision, params, given)
    gates.close()
    result = gates.run(build_plan, params, context, org, decision, decided)
    gates.close()
    return result


def resolve(org, decision, params: dict, given: dict) -> dict:
    """The certificate this run stages or publishes, checked, and the gates that need the decision."""
    problems = decision_problems(org, decision, params, given)
    if problems:
        raise CertopsError("; ".join(problems))
    new, how = new_certificate(org, decision, given["thumbprint"], params["replanned"])
    return {"new": new, "how": how}


def new_certificate(org, decision, thumbprint: str, replanned: bool = False) -> tuple:
    """(thumbprint, how): the given certificate, one a previous run created that nothing uses yet, or ('', 'create')."""
    if not decision.new_needed:
        return (org.auth["next"], "staged") if decision.action == "activate" else ("", "")
    if thumbprint:
        return inputs.given_certificate(org, thumbprint, org.now, decision.effective), "given"
    adopted = inputs.unused_candidates(org, org.now, decision.effective)
    if not adopted:
        return "", "create"
    # In the role's second round the unused certificate is the one the first round created.
    return adopted[0], "created" if replanned else "adopted"


def decision_problems(org, decision, params: dict, given: dict) -> list:
    problems = []
    if decision.action == "stage" and decision.effective is not None:
        problems.append(inputs.date_refusal(decision.effective, org.now, expiry(org, org.auth["current"], org.now)))
    if given["thumbprint"] and not decision.new_needed and given["thumbprint"] not in (org.auth["current"], org.auth["next"], org.auth["previous"]):
        problems.append(f"{VAR}thumbprint {given['thumbprint']} would not be used: {decision.meac_reason}; set {VAR}enforce_new=true to stage "
                        "it now, or leave it empty")
    problems.append(hybrid_refusal(org, decision, params))
    if org.application and hybrid.write_needed(org, decision):
        problems.append(hybrid.write_refusal(org.application, params))
    for thumbprint in decision.imports:
        try:
            steps_rules.source_host(org, thumbprint)
        except CertopsError as error:
            problems.append(str(error))
    return [problem for problem in problems if problem]


def hybrid_refusal(org, decision, params: dict) -> str:
    """Exchange Online must hold the key of a certificate before it signs (CSS-Exchange #2250); MEAC stops at hybrid too."""
    if not org.hybrid or decision.action not in ("stage", "replace", "activate") or params["ignore_hybrid"] or hybrid.managed(params):
        return ""
    return ("Exchange hybrid is configured (Get-HybridConfiguration): Exchange Online must hold the key of the Auth certificate before it "
            "takes effect, or free/busy, MailTips and cloud archives break. Give the dedicated hybrid application "
            f"({VAR}hybrid_application_id and the {VAR}graph_* settings) so that this run uploads it, or upload it yourself "
            f"(ConfigureExchangeHybridApplication.ps1 -UpdateCertificate, or the Hybrid Configuration Wizard) and re-run with {VAR}ignore_hybrid=true")


def build_plan(params: dict, context: dict, org, decision, decided: dict) -> Plan:
    if decided["how"] == "create":
        steps, end = [steps_rules.create_step(org)], None
    else:
        steps, end = rotation_steps(params, org, decision, decided["new"]), end_state(org, decision, decided["new"])
    cleanup, cleanup_warnings = cleanup_of(org, end)
    return Plan(product=PRODUCT, created=iso_z(context["now"]), hosts=dict(org.roles), steps=steps, cleanup=cleanup,
                expected=steps_rules.expected_facts(org, end, bool(org.application)) if end else {}, waits=waits_of(org, end),
                summary=text.summary_lines(org, decision, decided, end), next=text.next_actions(decision, decided, end, steps, cleanup),
                warnings=text.warnings(org, decision, params) + cleanup_warnings, inputs=plan_inputs(params, org, decision, decided, end))


def rotation_steps(params: dict, org, decision, new: str) -> list:
    steps = []
    for thumbprint, hosts in decision.imports.items():
        steps += steps_rules.import_steps(org, thumbprint, hosts, "current" if thumbprint == org.auth["current"] else "next")
    if new and org.missing(new) and decision.action != "activate":
        steps += steps_rules.import_steps(org, new, org.missing(new), "new")
    keys = hybrid.key_step(org, org.application, end_state(org, decision, new), params, [step.id for step in steps]) if org.application else None
    steps += [keys] if keys else []
    before = [step.id for step in steps]
    if decision.action in ("stage", "replace"):
        steps.append(steps_rules.stage_step(org, new, None if decision.publish else decision.effective, before))
        before = ["stage"]
    if decision.publish:
        steps.append(steps_rules.publish_step(org, new, before))
        before = ["publish"]
    if decision.restart_hosts and params["restart"]:
        steps += steps_rules.restart_steps(org, decision.restart_hosts, before if decision.publish else [], probe_settings(params, org))
    return steps


def end_state(org, decision, new: str) -> dict:
    """AuthConfig once this run's steps are applied."""
    auth = org.auth
    if decision.publish:
        return {"current": new, "next": "", "effective": "", "previous": auth["current"]}
    if decision.action == "stage":
        return {"current": auth["current"], "next": new, "effective": iso_z(decision.effective), "previous": auth["previous"]}
    return {"current": auth["current"], "next": auth["next"], "effective": auth["next_effective"], "previous": auth["previous"]}


def cleanup_of(org, end) -> tuple:
    retired = (end or {}).get("previous") or ""
    if not retired or retired in (end["current"], end["next"]):
        return [], []
    return steps_rules.cleanup_steps(org, retired)


def waits_of(org, end) -> list:
    if not end or not end["next"] or not end["effective"]:
        return []
    return [Wait(id="servicelet", until=end["effective"], reason=f"the AuthAdmin servicelet publishes the next Auth certificate {end['next']} "
                 f"within about 12 hours after its effective date {end['effective']}",
                 then="a run after that date publishes it at once if the servicelet has not, restarts MSExchangeServiceHost and recycles "
                      "the OWA/ECP app pools server by server behind health gates, and verifies OAuth")]


def probe_settings(params: dict, org) -> dict:
    """What the functional probes need: the mailbox, and Exchange Online's EWS when this run manages the hybrid application."""
    return {"probe": True, "test_mailbox": params["test_mailbox"], "exchange_online_uri": params["exchange_online_uri"] if org.application else ""}


def plan_inputs(params: dict, org, decision, decided: dict, end) -> dict:
    return {"group": params["group"], "acting": org.acting, "scenario": decision.action, "meac_scenario": decision.meac.number,
            "new_thumbprint": decided["new"], "new_source": decided["how"], "replan": decided["how"] == "create",
            "end_current": (end or {}).get("current", ""), "end_next": (end or {}).get("next", ""), "hybrid": org.hybrid,
            "hybrid_application": (org.application or {}).get("app_id", ""), "restart": params["restart"], **probe_settings(params, org)}


# --- verify -------------------------------------------------------------------------------------
def _holds(state: dict, thumbprint: str) -> bool:
    return bool(thumbprint) and bool((state["certificates"].get(thumbprint) or {}).get("has_key"))


def facts(role: str, state: dict, document: dict) -> dict:
    """What verify compares with the plan's expectations, from one read (with probes) of the server."""
    del role
    server, settings = state["exchange"], document["inputs"]
    auth, probes = server["auth"] or {}, server["probes"]
    found = {"auth_current": auth.get("current", ""), "auth_next": auth.get("next", ""), "current_on_server": _holds(server, settings["end_current"]),
             "transport_certificate": server["transport"], "owa": probes["owa"], "ecp": probes["ecp"], "oauth_ews": probes["oauth_ews"]}
    if settings["end_next"]:
        found["next_on_server"] = _holds(server, settings["end_next"])
    if settings.get("exchange_online_uri"):
        found["oauth_exchange_online"] = probes["oauth_exchange_online"]
    return found


# --- apply hooks ------------------------------------------------------------------------------------
def secret_inputs(params: dict, document: dict, steps: list) -> dict:
    """A random PFX password for this apply call only (it protects the certificate between Export- and Import-ExchangeCertificate),
    and the Graph credential's secrets for the hybrid application's step."""
    del document
    named = {name for step in steps for name in step["secrets"].values()}
    found = hybrid.secret_values(params, named)
    if "pfx_password" in named:
        found["pfx_password"] = secrets.token_urlsafe(32)
    return found


def controller_step(step: dict, named: dict) -> dict:
    return hybrid.controller_step(step, named)


def step_problem(step: dict, reply) -> str:
    """What a step's answer shows that is not what the step was for ("" when it did its job)."""
    if step.get("controller") == hybrid.OPERATION:
        return hybrid.step_problem(step, reply)
    check = STEP_CHECKS.get(step["script"])
    return check(step, reply) if check else ""


def _created_problem(step: dict, reply) -> str:
    del step
    created = reply.get("Created") or {}
    if reply.get("TransportAfter") != reply.get("TransportBefore"):
        return (f"its answer shows the SMTP default certificate changed from {reply.get('TransportBefore')} to {reply.get('TransportAfter')}; "
                "put it back with Enable-ExchangeCertificate -Services SMTP before anything else")
    if not created.get("Thumbprint"):
        return "its answer shows no new certificate in LocalMachine\\My"
    if created.get("KeyProvider") != "CSP" or not created.get("CspExportable"):
        return (f"its answer shows certificate {created.get('Thumbprint')} with a {created.get('KeyProvider')} key (exportable: "
                f"{created.get('CspExportable')}); the Auth certificate needs an exportable CSP key: remove it (Remove-ExchangeCertificate)")
    return ""


def _import_problem(step: dict, reply) -> str:
    return "" if reply.get("Present") else f"its answer shows {step['parameters']['Server']} still without certificate {step['parameters']['Thumbprint']}"


def _authconfig_problem(step: dict, reply) -> str:
    operation, thumbprint = step["parameters"]["Operation"], step["parameters"].get("Thumbprint", "")
    found = {"Stage": reply.get("NextCertificateThumbprint"), "Publish": reply.get("CurrentCertificateThumbprint")}.get(operation)
    if operation == "ClearPrevious":
        return "" if not reply.get("PreviousCertificateThumbprint") else "its answer still shows a previous certificate"
    if str(found or "").upper() == thumbprint:
        return ""
    return f"its answer shows AuthConfig with {found or 'no certificate'} instead of {thumbprint} (check Get-AuthConfig)"


def _restart_problem(step: dict, reply) -> str:
    del step
    return "" if reply.get("ServiceHostStatus") == "Running" else f"its answer shows MSExchangeServiceHost {reply.get('ServiceHostStatus')}"


STEP_CHECKS = {"exchange_auth_certificate_new": _created_problem, "exchange_auth_certificate_import": _import_problem,
               "exchange_authconfig_set": _authconfig_problem, "exchange_auth_services_restart": _restart_problem}
