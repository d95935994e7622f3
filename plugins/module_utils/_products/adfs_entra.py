# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""AD FS token-signing / token-decrypting certificates and every federated Entra domain's trust in them: the rules for the rotation engine.

PRIVATE to the collection: the name and location may change without notice.

Seed 001 and products.md §2: AD FS signs every token for Entra with its primary token-signing
certificate; each federated domain must hold that certificate as signingCertificate or
nextSigningCertificate, or federated sign-ins fail. The modes (adfs_entra_modes.py) keep that true
at every step. This module holds the engine's entry points: which hosts take part and what they
read (one WinRM execution per AD FS node; Graph twice, from the controller, on one host), the
gates that refuse before any change, the expected end state, and the apply hooks.
"""
from __future__ import annotations

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._graph import settings_problems
from ansible_collections.certops.microsoft.plugins.module_utils._key_access import has_read
from ansible_collections.certops.microsoft.plugins.module_utils._pfx_input import pfx_given
from ansible_collections.certops.microsoft.plugins.module_utils._products import adfs_entra_graph as graph
from ansible_collections.certops.microsoft.plugins.module_utils._products import adfs_entra_inputs as inputs
from ansible_collections.certops.microsoft.plugins.module_utils._products.adfs_entra_inputs import DECRYPTING, KINDS, SIGNING, VAR
from ansible_collections.certops.microsoft.plugins.module_utils._products.adfs_entra_modes import PLANNERS
from ansible_collections.certops.microsoft.plugins.module_utils._products.adfs_entra_state import (
    PRIMARY_ROLE, certificates_of, holds, key_problem, node_state, primary_of, thumbprint_of_base64)
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_gates import Gates
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_plan import Plan
from ansible_collections.certops.microsoft.plugins.module_utils._time import iso_z
# The engine's estate phase calls RULES.estate.
from ansible_collections.certops.microsoft.plugins.module_utils._products.adfs_entra_estate import estate  # noqa: F401 pylint: disable=unused-import

PRODUCT = "adfs_entra"
ARGUMENT_SPEC = {
    "mode": {"type": "str", "choices": ["auto", "ca", "emergency"], "default": "auto"},
    "adfs_group": {"type": "str", "default": "adfs"},
    "primary": {"type": "str"},
    "domains": {"type": "list", "elements": "str", "default": []},
    "signing_pfx_path": {"type": "path"},
    "signing_pfx_content": {"type": "str", "no_log": True},
    "signing_pfx_password": {"type": "str", "no_log": True},
    "signing_thumbprint": {"type": "str"},
    "decrypting_pfx_path": {"type": "path"},
    "decrypting_pfx_content": {"type": "str", "no_log": True},
    "decrypting_pfx_password": {"type": "str", "no_log": True},
    "decrypting_thumbprint": {"type": "str"},
    "min_days_remaining": {"type": "int", "default": 60},
    "policy": {"type": "dict"},
    "key_exportable": {"type": "bool", "default": False},
    "disable_auto_rollover": {"type": "bool", "default": False},
    "emergency": {"type": "bool", "default": False},
    "compromised_thumbprint": {"type": "str"},
    "metadata_reachable": {"type": "raw", "default": "auto"},
    "promotion_margin_days": {"type": "int", "default": 3},
    "relying_parties_ready": {"type": "bool", "default": False},
    "metadata_consumers": {"type": "list", "elements": "str", "default": []},
    "stop_after": {"type": "str", "choices": ["stage", "activate"], "default": "activate"},
    "graph_tenant_id": {"type": "str"},
    "graph_client_id": {"type": "str"},
    "graph_authority_host": {"type": "str", "default": "https://login.microsoftonline.com"},
    "graph_endpoint": {"type": "str", "default": "https://graph.microsoft.com"},
    "graph_certificate_path": {"type": "path"},
    "graph_certificate_thumbprint": {"type": "str"},
    "graph_certificate_password": {"type": "str", "no_log": True},
    "graph_client_secret": {"type": "str", "no_log": True},
    "graph_ca_path": {"type": "path"},
    "graph_timeout": {"type": "float", "default": 30.0},
    "graph_retries": {"type": "int", "default": 3},
    "graph_max_retry_after": {"type": "float", "default": 60.0},
}
GRAPH_CONNECTION = ("graph_tenant_id", "graph_client_id", "graph_authority_host", "graph_endpoint", "graph_certificate_path",
                    "graph_certificate_thumbprint", "graph_ca_path", "graph_timeout", "graph_retries", "graph_max_retry_after")
GRAPH_SECRETS = ("graph_certificate_password", "graph_client_secret")
PFX_INPUTS = tuple(f"{kind}_pfx_{part}" for kind in ("signing", "decrypting") for part in ("path", "content", "password"))
# What each phase takes from the role's variables (settings_from_variables); plan takes every option.
# The read reads AD FS and Graph (which domains to read is the plan's business); apply and verify take
# the rest from the plan document, and the secrets their steps and reads use.
PHASE_OPTIONS = {"read": ("adfs_group", "primary", *GRAPH_CONNECTION, *GRAPH_SECRETS), "apply": (*PFX_INPUTS, *GRAPH_SECRETS),
                 "verify": GRAPH_SECRETS, "estate": ()}
# apply and verify take the rest from the plan document (and the secrets from their own arguments).
VALIDATION_RULES = {"required_if": [["phase", "read", ["graph_tenant_id", "graph_client_id"]], ["phase", "plan", ["graph_tenant_id", "graph_client_id"]]]}
ENTRA_PART = "entra"
controller_read = graph.controller_read
controller_step = graph.controller_step


# --- hosts and reads -------------------------------------------------------------------------------
def group_of(params: dict, groups: dict) -> list:
    return list(groups.get(params["adfs_group"]) or [])


def host_role(host: str, params: dict, task_vars: dict):
    """adfs, or adfs+entra on the host that anchors the Graph read (the given primary, else the group's first); None when not part."""
    group = group_of(params, task_vars.get("groups") or {})
    if host not in group:
        return None
    anchor = params.get("primary") if params.get("primary") in group else group[0]
    return f"adfs+{ENTRA_PART}" if host == anchor else "adfs"


def read_requests(role: str, settings: dict) -> list:
    del role, settings  # every node gives the same one read
    return [("adfs", "adfs_node_get", {})]


def normalise(part: str, output: dict) -> dict:
    del part
    return node_state(output)


# --- gates: inputs ------------------------------------------------------------------------------------
def group_gates(gates: Gates, params: dict, group: list, play_hosts: list) -> None:
    gates.require(group, f"inventory group '{params['adfs_group']}' ({VAR}adfs_group) is unknown or empty; name the group of the AD FS servers")
    missing = [host for host in group if host not in play_hosts]
    gates.require(not missing, f"{', '.join(missing)} belong to the AD FS group but not to this play (--limit or the play's hosts); every "
                               "node must take part")
    if params.get("primary"):
        gates.require(params["primary"] in group, f"{VAR}primary is {params['primary']!r}, which is not in the AD FS group "
                                                  f"'{params['adfs_group']}' ({', '.join(group) or 'empty'}); name the primary node's inventory host")


def certificate_gates(gates: Gates, params: dict, now) -> dict:
    new = {kind: gates.run(inputs.new_certificate, params, kind, now) for kind in (SIGNING, DECRYPTING)}
    given = [kind for kind in new if new[kind] is not None or pfx_given(params, f"{KINDS[kind]}_") or params.get(f"{KINDS[kind]}_thumbprint")]
    mode = params["mode"]
    if mode == "ca":
        gates.require(given, f"{VAR}mode=ca rotates to CA-issued certificates: give {VAR}signing_pfx_path, {VAR}signing_pfx_content or "
                             f"{VAR}signing_thumbprint (and/or the decrypting ones)")
    else:
        gates.require(not given, f"a new certificate is given ({', '.join(f'{VAR}{KINDS[kind]}_*' for kind in given)}) but {VAR}mode is {mode}: "
                                 f"AD FS makes its own certificates in that mode; set {VAR}mode=ca to rotate to CA-issued ones")
    return new


def graph_gates(gates: Gates, params: dict) -> None:
    for problem in settings_problems(inputs.graph_settings(params)):
        gates.refuse(problem)


# --- gates: what the hosts and Graph said --------------------------------------------------------------
def read_refusal(host: str, read) -> str:
    if not isinstance(read, dict) or read.get("unreachable") or read.get("unreachable_host"):
        reason = (read or {}).get("read_error") or (read or {}).get("msg") or "no answer"
        return f"{host} is unreachable over WinRM ({reason}); every AD FS node must answer before the rotation starts"
    error = read.get("read_error") or (read.get("msg") if read.get("failed") else "")
    if error and "Get-AdfsSyncProperties" in error and "not recognized" in error:
        return f"{host} is not an AD FS server (Get-AdfsSyncProperties is not recognized); take it out of the AD FS group"
    return f"{host}: {error}" if error else ""


def host_states(reads: dict, group: list, gates: Gates) -> dict:
    states = {}
    for host in group:
        refusal = read_refusal(host, reads.get(host))
        if refusal:
            gates.refuse(refusal)
        else:
            states[host] = reads[host]["state"]
    return states


def entra_of(states: dict, gates: Gates) -> dict:
    """The Graph read, from whichever node anchored it."""
    found = next((state[ENTRA_PART] for state in states.values() if ENTRA_PART in state), None)
    if found is None:
        gates.refuse("no node read Microsoft Graph (the group's first host, or the given primary, does that); run the read on every AD FS node")
        return {}
    if found.get("error"):
        gates.refuse(f"Microsoft Graph could not be read: {found['error']}")
    return found


def primary_node(states: dict, params: dict, gates: Gates):
    primaries = [host for host, state in states.items() if state["adfs"]["sync_role"] == PRIMARY_ROLE]
    wanted = params.get("primary")
    if wanted and wanted in states and wanted not in primaries:
        other = states[wanted]["adfs"]["primary_computer"] or (primaries[0] if primaries else "unknown")
        gates.refuse(f"{VAR}primary is {wanted}, but {wanted} is a secondary node (Get-AdfsSyncProperties Role "
                     f"{states[wanted]['adfs']['sync_role']}; its primary is {other}): certificate changes fail on a secondary; name the primary")
        return None
    if len(primaries) != 1:
        gates.refuse(f"found {len(primaries)} primary nodes ({', '.join(primaries) or 'none'}) in the AD FS group: a WID farm has exactly one "
                     "(Get-AdfsSyncProperties Role PrimaryComputer); put all of the farm's nodes, and only them, in the group")
        return None
    return primaries[0]


# --- gates: decisions ---------------------------------------------------------------------------------
def issued_by(domain: dict, properties: dict) -> bool:
    """Whether the farm is the domain's issuer: issuerUri is the farm's Identifier, or its per-domain form
    (http://<domain>/adfs/services/trust, -SupportMultipleDomain) with sign-in at the farm's host."""
    federation = domain.get("federation") or {}
    issuer = federation.get("issuer_uri", "").rstrip("/").lower()
    identifier = str(properties.get("identifier") or "").rstrip("/").lower()
    per_domain = f"http://{domain['id']}/adfs/services/trust"
    host = f"://{str(properties.get('host_name') or '').lower()}/"
    return issuer == identifier or (issuer == per_domain and host in federation.get("passive_sign_in_uri", "").lower())


def farm_domains(entra: dict, properties: dict, wanted: list, gates: Gates) -> list:
    """The federated domains of this farm (or those named), each refused when it is not one."""
    by_id = {domain["id"]: domain for domain in entra.get("domains") or []}
    for domain in [by_id[name] for name in wanted if name in by_id]:
        gates.require(not domain["error"], f"the federation of {domain['id']} could not be read: {domain['error']}")
    ours = [domain for domain in by_id.values() if domain["federation"] and issued_by(domain, properties)]
    for name in wanted:
        if name not in by_id:
            gates.refuse(f"{VAR}domains names {name}, which is not a domain of this tenant ({', '.join(sorted(by_id)) or 'none'}); check the name")
        elif name not in [domain["id"] for domain in ours]:
            gates.refuse(f"{VAR}domains names {name}, which is {by_id[name]['authentication_type'] or 'not federated'}"
                         f"{'' if not by_id[name]['federation'] else ' by another issuer (' + by_id[name]['federation']['issuer_uri'] + ')'}, "
                         f"not federated by this AD FS farm ({properties.get('identifier')}); remove it")
    chosen = [domain for domain in ours if not wanted or domain["id"] in wanted]
    gates.require(chosen, f"no Entra domain is federated by this AD FS farm ({properties.get('identifier')}); check {VAR}graph_tenant_id and "
                          f"the farm's Identifier, or name the domains in {VAR}domains")
    return chosen


def permission_gates(gates: Gates, entra: dict, params: dict, warnings: list) -> None:
    roles = entra.get("roles")
    if roles is None:
        warnings.append("the Graph token's permissions could not be read; a missing Domain-InternalFederation.ReadWrite.All shows at the first write")
        return
    gates.require(set(roles) & set(graph.WRITE_ROLES),
                  f"the Graph app {params['graph_client_id']} has {', '.join(sorted(roles)) or 'no application permission'}, not "
                  f"Domain-InternalFederation.ReadWrite.All: grant it that application permission (least privilege for "
                  "\"Update internalDomainFederation\") with admin consent, or use another app")


def mode_gates(gates: Gates, params: dict, properties: dict) -> None:
    auto = properties["auto_rollover"]
    if params["mode"] in ("auto", "emergency"):
        gates.require(auto, f"AD FS has AutoCertificateRollover False, so {VAR}mode={params['mode']} (AD FS's own certificates) does not apply: "
                            f"use {VAR}mode=ca with CA-issued certificates, or turn auto-rollover on first")
    elif auto:
        gates.require(params["disable_auto_rollover"], f"AD FS has AutoCertificateRollover True: CA-issued certificates need it off (AD FS would "
                                                       f"replace them); set {VAR}disable_auto_rollover=true to let the rotation turn it off")


def installed_certificate(new, states: dict, primary: str, params: dict, now):
    """Thumbprint mode: the certificate on the primary node, completed with its DER and checked."""
    entry = states[primary]["adfs"]["store"].get(new.thumbprint)
    if entry is None:
        raise CertopsError(f"{VAR}{KINDS[new.kind]}_thumbprint {new.thumbprint} is not in LocalMachine\\My on {primary}: import it on every node "
                           f"with its key, or give the PFX in {VAR}{KINDS[new.kind]}_pfx_path")
    return inputs.from_installed(new, entry["der"], params, now)


def key_gates(gates: Gates, new, states: dict, account: str) -> None:
    """Thumbprint mode: every node holds the key and the AD FS service account reads it (AD FS cannot sign or decrypt otherwise)."""
    for host, state in states.items():
        problem = key_problem(state["adfs"], new.thumbprint, account)
        gates.require(not problem, f"the {new.kind.lower()} certificate {new.thumbprint} on {host} {problem}: AD FS ({account}) needs Read on "
                                   f"the private key on every node; grant it (certops.microsoft.certificate_private_key_access) or give the PFX "
                                   f"in {VAR}{KINDS[new.kind]}_pfx_path so that the rotation imports it with that access")


def certificate_decisions(gates: Gates, new: dict, states: dict, farm: dict, params: dict, now) -> dict:
    for kind, certificate in list(new.items()):
        if certificate is None:
            continue
        if not certificate.base64_der:
            certificate = new[kind] = gates.run(installed_certificate, certificate, states, farm["primary"], params, now)
            if certificate is not None:
                key_gates(gates, certificate, states, farm["service_account"])
        other = DECRYPTING if kind == SIGNING else SIGNING
        if certificate is not None and any(item["thumbprint"] == certificate.thumbprint for item in certificates_of(farm["state"], other)):
            gates.refuse(f"{certificate.thumbprint} is AD FS's {other.lower()} certificate; give a separate certificate for {kind.lower()}")
    if new[SIGNING] and new[DECRYPTING] and new[SIGNING].thumbprint == new[DECRYPTING].thumbprint:
        gates.refuse(f"{VAR}signing_* and {VAR}decrypting_* name the same certificate; token signing and decrypting need one each")
    return new


def farm_of(states: dict, primary: str) -> dict:
    state = states[primary]["adfs"]
    return {"primary": primary, "nodes": list(states), "state": state, "states": {host: value["adfs"] for host, value in states.items()},
            "service_account": state["service_account"], "properties": state["properties"]}


# --- the plan -------------------------------------------------------------------------------------
def plan(params: dict, reads: dict, context: dict) -> Plan:
    """The whole rotation from one read of every node and Graph, or one refusal listing every reason."""
    gates, now, warnings = Gates(), context["now"], []
    group = group_of(params, context["groups"])
    group_gates(gates, params, group, context["play_hosts"])
    options = inputs.checked_options(params, gates.run)
    graph_gates(gates, params)
    new = certificate_gates(gates, params, now)
    gates.close()
    states = host_states(reads, group, gates)
    gates.close()
    entra = entra_of(states, gates)
    primary = primary_node(states, params, gates)
    gates.close()
    farm = farm_of(states, primary)
    domains = farm_domains(entra, farm["properties"], options["domains"], gates)
    permission_gates(gates, entra, params, warnings)
    mode_gates(gates, params, farm["properties"])
    new = certificate_decisions(gates, new, states, farm, params, now)
    gates.close()
    decided = {"farm": farm, "domains": domains, "options": options, "new": new, "graph": inputs.graph_public(params), "params": params,
               "graph_secret_names": {"graph_client_secret": bool(params.get("graph_client_secret")),
                                      "graph_certificate_password": bool(params.get("graph_certificate_password"))},
               "key_exportable": params["key_exportable"], "now": now, "entra": entra}
    return build_plan(decided, warnings)


def build_plan(decided: dict, warnings: list) -> Plan:
    parts = PLANNERS[decided["options"]["mode"]](decided)
    warnings = warnings + parts["warnings"] + administrator_warnings(decided["entra"])
    return Plan(product=PRODUCT, created=iso_z(decided["now"]), hosts=plan_hosts(decided["farm"]), steps=parts["steps"], cleanup=parts["cleanup"],
                expected=parts["expected"], waits=parts["waits"], manual_gates=parts["gates"], summary=summary_lines(decided, parts),
                next=next_actions(parts), warnings=warnings, inputs=plan_inputs(decided))


def administrator_warnings(entra: dict) -> list:
    admins = entra.get("global_admins") or {}
    if admins.get("checked") and admins.get("cloud_only"):
        return []
    why = f"the role's members could not be read ({admins.get('error')}; grant RoleManagement.Read.Directory to check)" if not admins.get("checked") \
        else "none of them is in a managed domain (such as *.onmicrosoft.com) and not synced"
    return [f"no cloud-only Global Administrator could be confirmed: {why}. Keep one: it is the way back into the tenant if a federation "
            "mistake locks federated users out"]


def plan_hosts(farm: dict) -> dict:
    return {host: f"adfs_primary+{ENTRA_PART}" if host == farm["primary"] else "adfs" for host in farm["nodes"]}


def plan_inputs(decided: dict) -> dict:
    new = {KINDS[kind]: {"thumbprint": item.thumbprint, "source": "pfx" if item.pfx_path else "installed", "subject": item.facts.get("subject", ""),
                         "not_after": item.facts.get("not_after", "")} for kind, item in decided["new"].items() if item is not None}
    return {"mode": decided["options"]["mode"], "adfs_group": decided["params"]["adfs_group"], "primary": decided["farm"]["primary"],
            "domains": [domain["id"] for domain in decided["domains"]], "service_account": decided["farm"]["service_account"], "new": new,
            "compromised": decided["options"]["compromised"], "stop_after": decided["params"]["stop_after"], **decided["graph"]}


def summary_lines(decided: dict, parts: dict) -> list:
    farm, state = decided["farm"], decided["farm"]["state"]
    lines = [f"AD FS farm {farm['properties']['identifier']} (primary {farm['primary']}, nodes {', '.join(farm['nodes'])}), "
             f"AutoCertificateRollover {farm['properties']['auto_rollover']}"]
    for kind in (SIGNING, DECRYPTING):
        shown = [f"{item['thumbprint']}{' (primary)' if item['primary'] else ''} until {item['not_after']}" for item in certificates_of(state, kind)]
        lines.append(f"{kind}: {'; '.join(shown) or 'none'}")
    for domain in decided["domains"]:
        federation = domain["federation"]
        lines.append(f"Entra {domain['id']}: signing {federation['signing'] or 'none'}, next {federation['next'] or 'none'}, Entra's own update "
                     f"{federation['update_result'] or 'never ran'}{' at ' + federation['update_time'] if federation['update_time'] else ''}")
    return lines + parts["summary"] + [f"Cleanup (only when asked): {len(parts['cleanup'])} irreversible step(s)" if parts["cleanup"]
                                       else "Cleanup: nothing to remove"]


def next_actions(parts: dict) -> dict:
    count = len(parts["steps"])
    return {"check": f"run without --check to apply the {count} step(s)" if count else parts["applied"], "applied": parts["applied"],
            "cleaned": "nothing: the retired certificate is no longer trusted anywhere", "waiting": "run again after the date above",
            "manual_gate": "do the manual step above, then run again"}


# --- verify -------------------------------------------------------------------------------------
def facts(role: str, state: dict, document: dict) -> dict:
    """What verify compares with the plan's expectations, from one read of the host (and Graph on the primary)."""
    settings, found = document["inputs"], {}
    adfs = state.get("adfs") or {}
    for infix, new in settings["new"].items():
        found[f"{infix}_key_usable"] = not key_problem(adfs, new["thumbprint"], settings["service_account"])
    for kind in (SIGNING, DECRYPTING):
        primary = primary_of(adfs, kind) if adfs.get("certificates") else None
        found[f"{KINDS[kind]}_primary"] = primary["thumbprint"] if primary else ""
    if ENTRA_PART in state:
        found.update(entra_facts(state[ENTRA_PART], found.get("signing_primary", ""), settings))
    del role
    return found


def entra_facts(entra: dict, adfs_signing: str, settings: dict) -> dict:
    found = {}
    for domain in entra.get("domains") or []:
        if domain["id"] not in settings["domains"]:
            continue
        federation = domain.get("federation") or {}
        new_signing = (settings["new"].get("signing") or {}).get("thumbprint", "")
        found.update({f"entra_signing@{domain['id']}": federation.get("signing", ""), f"entra_next@{domain['id']}": federation.get("next", ""),
                      f"entra_trusts_adfs_signing@{domain['id']}": holds(domain, adfs_signing),
                      f"entra_trusts_new_signing@{domain['id']}": holds(domain, new_signing),
                      f"entra_trusts_compromised@{domain['id']}": holds(domain, settings.get("compromised", "")),
                      f"entra_update_status@{domain['id']}": federation.get("update_result") or "never ran"})
    return found


# --- apply hooks ---------------------------------------------------------------------------------------
def secret_inputs(params: dict, document: dict, steps: list) -> dict:
    named = {name for step in steps for name in step["secrets"].values()}
    secrets = inputs.pfx_secrets(params, document) if any(name.endswith("_pfx") for name in named) else {}
    for name in ("graph_client_secret", "graph_certificate_password"):
        if name in named:
            if not params.get(name):
                raise CertopsError(f"apply: the plan calls Microsoft Graph with {VAR}{name}: give it to the apply task too")
            secrets[name] = params[name]
    return secrets


def resolve_step(step: dict, replies: dict) -> dict:
    """A step whose Entra body comes from an earlier step's answer (emergency: the certificates -Urgent made), filled in."""
    body = (step.get("parameters") or {}).get("body") or {}
    if "from_step" not in body:
        return step
    source = replies.get(body["from_step"])
    if source is None:
        raise CertopsError(f"step {step['id']} needs the answer of step {body['from_step']}, which this task did not run; re-run the play")
    listed = [item for item in source.get("AdfsCertificates") or [] if item.get("CertificateType") == SIGNING]
    primary = next((item for item in listed if item.get("IsPrimary")), {})
    secondary = next((item for item in listed if not item.get("IsPrimary")), {})
    parameters = dict(step["parameters"], body={"signingCertificate": primary.get("Certificate"), "nextSigningCertificate": secondary.get("Certificate")},
                      expect={"signing": thumbprint_of_base64(primary.get("Certificate")), "next": thumbprint_of_base64(secondary.get("Certificate"))})
    return dict(step, parameters=parameters)


def certificate_problem(step: dict, reply: dict) -> str:
    parameters = step["parameters"]
    listed = [item for item in reply.get("AdfsCertificates") or [] if item.get("CertificateType") == parameters["CertificateType"]]
    present = {str(item.get("Thumbprint")).upper(): bool(item.get("IsPrimary")) for item in listed}
    wanted, operation = parameters.get("Thumbprint", ""), parameters["Operation"]
    if operation == "Add" and wanted not in present:
        return f"its answer (Get-AdfsCertificate) does not list {wanted}"
    if operation == "Promote" and not present.get(wanted):
        return f"its answer (Get-AdfsCertificate) does not show {wanted} as primary"
    if operation == "Remove" and wanted in present:
        return f"its answer (Get-AdfsCertificate) still lists {wanted}"
    return ""


def step_problem(step: dict, reply) -> str:
    """What a step's answer shows that is not what the step was for ("" when it did its job)."""
    if step["controller"]:
        return graph.patch_problem(step, reply)
    if step["script"] == "adfs_certificate_set":
        return certificate_problem(step, reply)
    if step["script"] == "adfs_properties_set":
        shown = (reply.get("Properties") or {}).get("AutoCertificateRollover")
        return "" if shown is False else f"its answer shows AutoCertificateRollover {shown}"
    if step["script"] == "windows_certificate_import":
        missing = [account for account in step["parameters"].get("Account") or [] if not has_read(account, reply.get("KeyReaders") or [])]
        if not reply.get("HasPrivateKey") or missing:
            return f"its answer shows {step['parameters']['Thumbprint']} without its key or unreadable by {', '.join(missing) or 'the service account'}"
    return ""
