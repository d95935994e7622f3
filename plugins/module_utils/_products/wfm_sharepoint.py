# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Workflow Manager's outbound certificate and SharePoint's trust in it: the product's rules for the rotation engine.

PRIVATE to the collection: the name and location may change without notice.

The vendor's order (products.md §1.2; Microsoft blog "How to update OutboundCertificate in
Workflow Manager (and SharePoint)"), made before break:
1. the new certificate with its private key on every Workflow Manager host, readable by the
   Workflow Manager RunAs account;
2. every SharePoint farm that trusts this Workflow Manager farm trusts the new certificate too
   (a trusted root authority, then a trusted security token issuer for 00000005-...@* or @realm);
3. only then Set-WFNextOutboundCertificateReference + Set-WFNextOutboundCertificateAsCurrent;
4. verify: Get-WFOutboundCertificate shows the new certificate, every farm trusts it;
5. cleanup, only when asked: the trust in the retired certificate and the certificate itself.
The servers of several farms may share the SharePoint group: farms are told apart by their farm
Id, and every farm that trusts the Workflow Manager farm is in the plan, so no farm is left
rejecting workflows with HTTP 401. A run after a partial rotation (Workflow Manager switched, a
farm not trusting the new certificate) plans what is missing and finishes it.
"""
from __future__ import annotations

import dataclasses
import importlib

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._key_access import has_read
from ansible_collections.certops.microsoft.plugins.module_utils._outbound_references import outbound_references
from ansible_collections.certops.microsoft.plugins.module_utils._products.wfm_sharepoint_steps import (
    cleanup_steps, farm_steps, stage_steps, switch_step)
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_gates import Gates
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_plan import Plan
from ansible_collections.certops.microsoft.plugins.module_utils._sp_trust import DEFAULT_REGISTERED_ISSUER_NAME, is_workflow_issuer
from ansible_collections.certops.microsoft.plugins.module_utils._time import iso_z
# The engine's estate phase calls RULES.estate.
from ansible_collections.certops.microsoft.plugins.module_utils._products.wfm_sharepoint_estate import estate  # noqa: F401 pylint: disable=unused-import

PRODUCT = "wfm_sharepoint"
VAR = "wfm_sharepoint_"          # the role's variable prefix, named in every message
DOUBLE_HOP = "Cannot access the local farm"
ARGUMENT_SPEC = {
    "service_uri": {"type": "str"},
    "service_account": {"type": "str"},
    "pfx_path": {"type": "path"},
    "pfx_password": {"type": "str", "no_log": True},
    "pfx_content": {"type": "str", "no_log": True},
    "thumbprint": {"type": "str"},
    "wfm_group": {"type": "str", "default": "wfm"},
    "sharepoint_group": {"type": "str", "default": "sharepoint"},
    "issuer_name": {"type": "str", "default": "WorkflowManagerOutbound"},
    "registered_issuer_name": {"type": "str", "default": DEFAULT_REGISTERED_ISSUER_NAME},
    "is_self_issuer": {"type": "raw"},
    "trust_root_authority": {"type": "bool", "default": True},
    "root_authority_name": {"type": "str", "default": "WorkflowManagerOutbound"},
    "min_days_remaining": {"type": "int", "default": 30},
    "policy": {"type": "dict"},
    "key_exportable": {"type": "bool", "default": False},
    "cleanup_remove_certificate": {"type": "bool", "default": True},
    "stop_after": {"type": "str", "choices": ["stage", "trust", "activate"], "default": "activate"},
}
PHASES = ("stage", "trust", "activate")

# apply and verify take what they need from the plan document.
VALIDATION_RULES = {"required_if": [["phase", "read", ["service_uri"]], ["phase", "plan", ["service_uri", "service_account"]]]}


@dataclasses.dataclass
class Topology:
    """The two inventory groups, in inventory order; farm-level Workflow Manager steps run on the first host."""

    wfm_hosts: list
    sp_hosts: list

    @property
    def primary(self) -> str:
        return self.wfm_hosts[0]


def inputs():
    """The input checks, imported when a phase needs them (plan, apply): they load the certificate core and the
    cryptography library, which the read and verify phases on every host (each a forked worker) do not need."""
    return importlib.import_module("ansible_collections.certops.microsoft.plugins.module_utils._products.wfm_sharepoint_inputs")


# --- hosts and reads ---------------------------------------------------------------------------
def topology_of(params: dict, groups: dict) -> Topology:
    return Topology(list(groups.get(params["wfm_group"]) or []), list(groups.get(params["sharepoint_group"]) or []))


def host_role(host: str, params: dict, task_vars: dict):
    """wfm_primary, wfm, sharepoint, or both joined with '+' (Workflow Manager on a SharePoint server); None when not part."""
    topology = topology_of(params, task_vars.get("groups") or {})
    parts = []
    if host in topology.wfm_hosts:
        parts.append("wfm_primary" if host == topology.primary else "wfm")
    if host in topology.sp_hosts:
        parts.append("sharepoint")
    return "+".join(parts) or None


def read_requests(role: str, settings: dict) -> list:
    """(part, script, parameters) for each part a host plays: one execution each."""
    requests = []
    for part in role.split("+"):
        if part == "sharepoint":
            requests.append(("sharepoint", "sharepoint_trust_get", {}))
        else:
            requests.append(("wfm", "wfm_host_get", {"ServiceUri": settings["service_uri"] if part == "wfm_primary" else None}))
    return requests


def normalise(part: str, output: dict) -> dict:
    return wfm_state(output) if part == "wfm" else sharepoint_state(output)


def wfm_state(output: dict) -> dict:
    """Outbound references (first host only) and the LocalMachine\\My certificates by thumbprint."""
    references = outbound_references(output.get("References")) if output.get("ServiceUri") else None
    certificates = {str(item.get("Thumbprint") or "").upper(): {"der": item.get("Certificate") or "", "has_key": bool(item.get("HasPrivateKey")),
                                                                "readers": item.get("KeyReaders")}
                    for item in output.get("Certificates") or [] if isinstance(item, dict)}
    return {"references": references, "certificates": certificates}


def _trust(item: dict, thumbprint_key: str) -> dict:
    entry = {"name": str(item.get("Name") or ""), "id": str(item.get("Id") or ""), "thumbprint": str(item.get(thumbprint_key) or "").upper()}
    if "RegisteredIssuerName" in item:
        entry.update(registered_issuer_name=str(item["RegisteredIssuerName"]).lower(), is_self_issuer=bool(item.get("IsSelfIssuer")))
    return entry


def sharepoint_state(output: dict) -> dict:
    return {"farm_id": str(output.get("FarmId") or ""), "realm": str(output.get("Realm") or ""),
            "issuers": [_trust(item, "SigningCertificateThumbprint") for item in output.get("Issuers") or [] if isinstance(item, dict)],
            "authorities": [_trust(item, "CertificateThumbprint") for item in output.get("Authorities") or [] if isinstance(item, dict)]}


# --- gates ------------------------------------------------------------------------------------
def group_gates(gates: Gates, params: dict, topology: Topology, play_hosts: list) -> None:
    for hosts, group, variable in ((topology.wfm_hosts, params["wfm_group"], "wfm_group"),
                                   (topology.sp_hosts, params["sharepoint_group"], "sharepoint_group")):
        gates.require(hosts, f"inventory group '{group}' ({VAR}{variable}) is unknown or empty; name the group of the "
                             f"{'Workflow Manager hosts' if variable == 'wfm_group' else 'SharePoint servers'}")
    missing = [host for host in topology.wfm_hosts + topology.sp_hosts if host not in play_hosts]
    gates.require(not missing, f"{', '.join(missing)} belong to the Workflow Manager or SharePoint group but not to this play "
                               "(--limit or the play's hosts); every host must take part")


def read_refusal(host: str, read: dict, params: dict, topology: Topology):
    """Why a host's read is unusable (None when it is usable)."""
    if not isinstance(read, dict) or read.get("unreachable") or read.get("unreachable_host"):
        reason = (read or {}).get("read_error") or (read or {}).get("msg") or "no answer"
        return (f"{host} is unreachable over WinRM ({reason}); every Workflow Manager and SharePoint host must answer before the "
                "rotation starts")
    error = read.get("read_error") or (read.get("msg") if read.get("failed") else None)
    if not error:
        return None
    if DOUBLE_HOP in error:
        return (f"the SharePoint cmdlets on {host} failed with \"{DOUBLE_HOP}\": over WinRM the connecting user's credentials do not "
                f"reach SQL Server (double hop). Fix: set {VAR}sharepoint_become_user to the farm account (become runas, its password "
                "in ansible_become_password) or connect with CredSSP")
    if host == topology.primary:
        return (f"Workflow Manager did not answer at the service URI '{params['service_uri']}' from {host}: {error}; check "
                f"{VAR}service_uri")
    return f"{host}: {error}"


def host_states(reads: dict, params: dict, topology: Topology, gates: Gates) -> dict:
    states = {}
    for host in dict.fromkeys(topology.wfm_hosts + topology.sp_hosts):
        refusal = read_refusal(host, reads.get(host), params, topology)
        if refusal:
            gates.refuse(refusal)
        else:
            states[host] = reads[host]["state"]
    return states


# --- the farms as the hosts report them ---------------------------------------------------------
def farms_of(states: dict, topology: Topology) -> list:
    """SharePoint farms by farm Id, in inventory order: {id, hosts, state}; the first host acts for the farm."""
    farms = {}
    for host in topology.sp_hosts:
        state = states[host]["sharepoint"]
        farm = farms.setdefault(state["farm_id"] or host, {"id": state["farm_id"], "hosts": [], "state": state})
        farm["hosts"].append(host)
    return [dict(farm, number=number) for number, farm in enumerate(farms.values(), start=1)]


def workflow_trusts(state: dict) -> set:
    """Thumbprints SharePoint accepts Workflow Manager's tokens from (issuers for 00000005-...@* or @realm)."""
    return {issuer["thumbprint"] for issuer in state["issuers"] if is_workflow_issuer(issuer["registered_issuer_name"], state["realm"])}


def farm_label(farm: dict) -> str:
    return f"SharePoint farm {farm['number']} ({farm['id'] or 'unknown Id'}; {', '.join(farm['hosts'])})"


def installed_certificate(certificate, states: dict, topology: Topology, params: dict, now):
    """Thumbprint mode: the certificate on every Workflow Manager host with its key; its DER from the first one."""
    absent = [host for host in topology.wfm_hosts if not states[host]["wfm"]["certificates"].get(certificate.thumbprint, {}).get("has_key")]
    if absent:
        raise CertopsError(f"certificate {certificate.thumbprint} is not in LocalMachine\\My on {', '.join(absent)} with its private "
                           f"key; import it there first, or give the PFX in {VAR}pfx_path")
    der = states[topology.primary]["wfm"]["certificates"][certificate.thumbprint]["der"]
    return inputs().from_installed(certificate, der, params, now)


def consumer_gates(gates: Gates, farms: list, references: dict, new: str) -> None:
    """Every farm in the group must trust this Workflow Manager farm (one of its certificates)."""
    known = {value for value in (references["current"], references["next"], references["previous"], new) if value}
    for farm in farms:
        gates.require(workflow_trusts(farm["state"]) & known,
                      f"{farm_label(farm)} trusts none of this Workflow Manager farm's certificates ({', '.join(sorted(known))}): it is "
                      "not registered with it; take its servers out of the SharePoint group or register the farm first "
                      "(Register-SPWorkflowService)")


def rotation_gates(gates: Gates, farms: list, references: dict, new: str) -> None:
    done = all(new in workflow_trusts(farm["state"]) for farm in farms)
    gates.require(not (references["current"] == new and not references["previous"] and done),
                  f"certificate {new} is already Workflow Manager's current outbound certificate and no rotation to it was recorded, so "
                  "there is nothing to rotate; give the NEW certificate's PFX or thumbprint")


# --- the plan -----------------------------------------------------------------------------------
def checked_inputs(params: dict, now, gates: Gates) -> tuple:
    certificate = gates.run(inputs().new_certificate, params, now)
    options = gates.run(inputs().checked_options, params)
    return certificate, options


def plan(params: dict, reads: dict, context: dict) -> Plan:
    """The whole rotation from one read of every host, or one refusal listing every reason."""
    gates, now = Gates(), context["now"]
    topology = topology_of(params, context["groups"])
    group_gates(gates, params, topology, context["play_hosts"])
    certificate, options = checked_inputs(params, now, gates)
    gates.close()
    states = host_states(reads, params, topology, gates)
    gates.close()
    references, farms = states[topology.primary]["wfm"]["references"], farms_of(states, topology)
    consumer_gates(gates, farms, references, certificate.thumbprint)
    rotation_gates(gates, farms, references, certificate.thumbprint)
    gates.close()
    certificate = certificate if certificate.base64_der else gates.run(installed_certificate, certificate, states, topology, params, now)
    gates.close()
    decided = {**options, "certificate": certificate, "topology": topology, "states": states, "farms": farms, "references": references,
               "now": now}
    result = gates.run(build_plan, params, decided)
    gates.close()
    return result


def retired_thumbprint(references: dict, new: str) -> str:
    """The certificate this rotation retires: the current one, or after a completed switch the previous one."""
    retired = references["current"] if references["current"] != new else references["previous"]
    return "" if retired == new else retired


def reaches(params: dict, phase: str) -> bool:
    """Whether this run goes as far as ``phase`` (stop_after: stage certificates days ahead, for example)."""
    return PHASES.index(params["stop_after"]) >= PHASES.index(phase)


def rotation_steps(params: dict, decided: dict) -> list:
    steps = stage_steps(params, decided)
    if reaches(params, "trust"):
        steps += [step for farm in decided["farms"] for step in farm_steps(params, decided, farm)]
    switch = switch_step(params, decided, [step.id for step in steps]) if reaches(params, "activate") else None
    return steps + ([switch] if switch else [])


def build_plan(params: dict, decided: dict) -> Plan:
    new, topology = decided["certificate"], decided["topology"]
    retired = retired_thumbprint(decided["references"], new.thumbprint) if reaches(params, "activate") else ""
    steps = rotation_steps(params, decided)
    return Plan(product=PRODUCT, created=iso_z(decided["now"]), hosts=plan_hosts(topology), steps=steps,
                cleanup=cleanup_steps(params, decided, retired), expected=expected_facts(params, decided),
                summary=summary_lines(decided, steps, retired), next=next_actions(params, steps, retired), warnings=[],
                inputs=plan_inputs(params, decided, retired))


def plan_hosts(topology: Topology) -> dict:
    roles = {host: "wfm" for host in topology.wfm_hosts}
    roles[topology.primary] = "wfm_primary"
    for host in topology.sp_hosts:
        roles[host] = f"{roles[host]}+sharepoint" if host in roles else "sharepoint"
    return roles


def plan_inputs(params: dict, decided: dict, retired: str) -> dict:
    new = decided["certificate"]
    return {"service_uri": params["service_uri"], "service_account": decided["service_account"], "new_thumbprint": new.thumbprint,
            "new_subject": new.facts.get("subject", ""), "new_not_after": new.facts.get("not_after", ""),
            "retired_thumbprint": retired, "registered_issuer_name": decided["registered_issuer_name"],
            "wfm_group": params["wfm_group"], "sharepoint_group": params["sharepoint_group"],
            "source": "pfx" if new.pfx_path else "installed", "trust_root_authority": params["trust_root_authority"],
            "stop_after": params["stop_after"]}


# --- verify -------------------------------------------------------------------------------------
def expected_facts(params: dict, decided: dict) -> dict:
    expected = {host: {"new_certificate_with_key": True, "service_account_reads_key": True} for host in decided["topology"].wfm_hosts}
    if reaches(params, "activate"):
        expected[decided["topology"].primary]["outbound_current"] = decided["certificate"].thumbprint
    for farm in decided["farms"] if reaches(params, "trust") else []:
        facts = {"farm_trusts_new_certificate": True}
        if params["trust_root_authority"]:
            facts["root_authority_for_new_certificate"] = True
        expected.setdefault(farm["hosts"][0], {}).update(facts)
    return expected


def facts(role: str, state: dict, document: dict) -> dict:
    """What verify compares with the plan's expectations, from one read of the host."""
    settings, found = document["inputs"], {}
    new = settings["new_thumbprint"]
    if "wfm" in state:
        entry = state["wfm"]["certificates"].get(new) or {}
        found.update(new_certificate_with_key=bool(entry.get("has_key")),
                     service_account_reads_key=has_read(settings["service_account"], entry.get("readers") or []))
        if state["wfm"]["references"] is not None:
            found["outbound_current"] = state["wfm"]["references"]["current"]
    if "sharepoint" in state:
        found.update(farm_trusts_new_certificate=new in workflow_trusts(state["sharepoint"]),
                     root_authority_for_new_certificate=any(item["thumbprint"] == new for item in state["sharepoint"]["authorities"]))
    del role
    return found


# --- summary ------------------------------------------------------------------------------------
def summary_lines(decided: dict, steps: list, retired: str) -> list:
    new, references, uri = decided["certificate"].thumbprint, decided["references"], decided["service_uri"]
    if references["current"] != new:
        lines = [f"Workflow Manager at {uri}: outbound certificate {references['current'] or 'none'} -> {new}"]
    else:
        lines = [f"Workflow Manager at {uri}: signs with {new} (previous {references['previous'] or 'none'})"]
    for farm in decided["farms"]:
        created = [step.action + f" {step.parameters['Name']!r}" for step in steps if step.host == farm["hosts"][0] and step.phase == "trust"
                   and "Name" in step.parameters]
        lines.append(f"{farm_label(farm)}: " + (f"trusts {new} once these are created: {'; '.join(created)}" if created else f"trusts {new}"))
    return lines + [f"Cleanup (only when asked) removes SharePoint's trust in {retired} and {retired} itself from the Workflow Manager hosts"
                    if retired else "Cleanup: nothing to remove"]


def next_actions(params: dict, steps: list, retired: str) -> dict:
    """What the person does next, after a check-mode run, after the steps are applied, after cleanup."""
    if not reaches(params, "activate"):
        applied = f"run again with {VAR}stop_after=activate when SharePoint may trust the new certificate and Workflow Manager may switch"
    elif retired:
        applied = (f"once workflows run with the new certificate, run again with {VAR}cleanup=true to remove the trust in {retired} "
                   "(irreversible)")
    else:
        applied = "nothing: the rotation is complete"
    return {"check": f"run without --check to apply the {len(steps)} step(s)" if steps else applied, "applied": applied,
            "cleaned": "nothing: the rotation is complete and the retired certificate is gone"}


# --- apply hooks ---------------------------------------------------------------------------------
def secret_inputs(params: dict, document: dict, steps: list) -> dict:
    del steps  # every secret step imports the same PFX
    return inputs().pfx_secrets(params, document["inputs"]["new_thumbprint"])


def step_problem(step: dict, reply) -> str:
    """What a step's answer shows that is not what the step was for ("" when it did its job)."""
    expected = step["parameters"].get("Thumbprint") or ""
    if step["script"] == "windows_certificate_import":
        readers = reply.get("KeyReaders") or []
        missing = [account for account in step["parameters"].get("Account") or [] if not has_read(account, readers)]
        if not reply.get("HasPrivateKey") or missing:
            return f"its answer shows certificate {expected} without its private key or unreadable by {', '.join(missing) or 'the service account'}"
    if step["script"] == "wfm_outbound_certificate_set":
        current = outbound_references(reply.get("References"))["current"]
        if current != expected:
            return (f"its answer shows Workflow Manager still signing with {current or 'no certificate'} instead of {expected} "
                    "(check Get-WFOutboundCertificate)")
    return ""
