# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Dynamics 365 Finance + Operations on-premises on Service Fabric: the product's rules for the rotation engine.

PRIVATE to the collection: the name and location may change without notice.

The documented order (Microsoft Learn: certificate-rotation-on-prem, onprem-update-sfcluster):
1. the new certificates with their private keys on every node, readable by the service accounts
   (what the Infrastructure scripts' Configure-PreReqs.ps1 does), or verified where they already are;
2. thumbprint-based clusters: one cluster configuration upgrade (new Thumbprint, old as
   ThumbprintSecondary, new admin client, old demoted, version bumped), watched until
   RollingForwardCompleted; common-name-based clusters pick the placed certificates up themselves;
3. localagent-config.json with the new thumbprints and LocalAgentCLI.exe Cleanup (Orchestrator node);
4. config.json on the agent share, for LocalAgent 3.2.2 and older;
5. Credentials.json re-encrypted (Configure-CredentialsJson.ps1 -Action Rotate, AOS node);
6. the manual gate: LCS "Update Settings" with the new client, data-encryption, data-signing and
   encipherment thumbprints; the next run checks the cluster's applications use them;
7. the encrypted-data rotation job enabled in the business database; it re-encrypts a share of
   the data every day, and the run waits for it;
8. cleanup, only when asked and only after the job is done: the old thumbprints out of the cluster
   configuration, then the old certificates, the data-encryption certificate last.
Service Fabric 7.0 and 7.1 are refused ("should not be carried out"; upgrade to 7.2 first).
"""
from __future__ import annotations

import datetime
import json

from ansible_collections.certops.microsoft.plugins.module_utils._certificate import certificate_report
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._key_access import checked_accounts, missing_readers
from ansible_collections.certops.microsoft.plugins.module_utils._products import d365_config_template as template
from ansible_collections.certops.microsoft.plugins.module_utils._products import d365_service_fabric_config as clusterconfig
from ansible_collections.certops.microsoft.plugins.module_utils._products import d365_service_fabric_inputs as inputs
from ansible_collections.certops.microsoft.plugins.module_utils._products import d365_service_fabric_steps as steps
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_gates import Gates
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_plan import ManualGate, Plan, Wait
from ansible_collections.certops.microsoft.plugins.module_utils._time import iso_z
# The engine's estate phase calls RULES.estate.
from ansible_collections.certops.microsoft.plugins.module_utils._products.d365_service_fabric_estate import estate  # noqa: F401 pylint: disable=unused-import

PRODUCT = "d365_service_fabric"
VAR = inputs.VAR
MIN_CODE_VERSION = (7, 2)
LAST_AGENT_NEEDING_SHARE_CONFIG = (3, 2, 2)
LCS_FIELDS = {"client": "Client certificate thumbprint", "data_encryption": "Data encryption certificate thumbprint",
              "data_signing": "Data signing certificate thumbprint", "encipherment": "Data encipherment certificate thumbprint"}
ARGUMENT_SPEC = {
    "group": {"type": "str", "default": "sf_node"},
    "certificates": {"type": "dict", "default": {}},
    "pfx_files": {"type": "dict", "default": {}},
    "pfx_contents": {"type": "dict", "default": {}, "no_log": True},
    "pfx_password": {"type": "str", "no_log": True},
    "config_template": {"type": "path"},
    "place_certificates": {"type": "bool", "default": False},
    "service_accounts": {"type": "list", "elements": "str", "default": []},
    "infrastructure_path": {"type": "str"},
    "old_infrastructure_path": {"type": "str", "default": ""},
    "localagent_config_path": {"type": "str"},
    "localagent_cli_path": {"type": "str"},
    "agent_share_config_path": {"type": "str", "default": ""},
    "sql_server": {"type": "str"},
    "database": {"type": "str", "default": "AXDB"},
    "backup_confirmed": {"type": "bool", "default": False},
    "replica_set_check_timeout": {"type": "int", "default": 30},
    "watch_interval": {"type": "float", "default": 60},
    "watch_timeout": {"type": "int", "default": 7200},
    "cluster_config_path": {"type": "str", "default": "C:\\Windows\\Temp\\certops-ClusterConfig.json"},
    "min_days_remaining": {"type": "int", "default": 30},
    "other_certificates": {"type": "list", "elements": "path", "default": []},
    "job_recheck_hours": {"type": "int", "default": 24},
}
READ_PATHS = ["infrastructure_path", "localagent_config_path", "localagent_cli_path", "sql_server"]
VALIDATION_RULES = {"required_if": [["phase", "read", READ_PATHS], ["phase", "plan", READ_PATHS]]}


# --- hosts and reads ---------------------------------------------------------------------------
def hosts_of(params: dict, groups: dict) -> list:
    return list(groups.get(params["group"]) or [])


def host_role(host: str, params: dict, task_vars: dict):
    """``primary`` (the group's first host: cluster, LocalAgent and database reads) or ``node``; None when not in the group."""
    hosts = hosts_of(params, task_vars.get("groups") or {})
    if host not in hosts:
        return None
    return "primary" if host == hosts[0] else "node"


def read_requests(role: str, settings: dict) -> list:
    """One execution per node: the primary reads its certificates, the cluster and the D365 pieces at once; the others their certificates."""
    if role != "primary":
        return [("node", "servicefabric_node_get", {})]
    return [("primary", "d365_orchestrator_get", {"InfrastructurePath": settings["infrastructure_path"],
                                                  "OldInfrastructurePath": settings.get("old_infrastructure_path") or "",
                                                  "LocalAgentConfigPath": settings["localagent_config_path"],
                                                  "LocalAgentCliPath": settings["localagent_cli_path"],
                                                  "AgentShareConfigPath": settings.get("agent_share_config_path") or "",
                                                  "SqlServer": settings["sql_server"], "Database": settings.get("database") or "AXDB"})]


def _json(text, what: str):
    """A JSON document read from a host; None for an empty text, {"__error__": ...} when it does not parse."""
    if not str(text or "").strip():
        return None
    try:
        return json.loads(str(text).lstrip("\ufeff"))
    except ValueError as error:
        return {"__error__": f"{what} is not JSON: {error}"}


def node_state(output: dict) -> dict:
    certificates = {str(item.get("Thumbprint") or "").upper(): {"der": item.get("Certificate") or "", "has_key": bool(item.get("HasPrivateKey")),
                                                                "readers": item.get("KeyReaders") or []}
                    for item in output.get("Certificates") or [] if isinstance(item, dict)}
    return {"certificates": certificates}


def cluster_state(output: dict) -> dict:
    values = {str(item.get("Value") or "").replace(" ", "").upper() for application in output.get("Applications") or []
              for item in application.get("Thumbprints") or [] if isinstance(item, dict)}
    return {"config": _json(output.get("ClusterConfiguration"), "the cluster configuration"), "code_version": str(output.get("CodeVersion") or ""),
            "config_version": str(output.get("ConfigVersion") or ""), "upgrade_state": str(output.get("UpgradeState") or ""),
            "app_thumbprints": sorted(value for value in values if value), "health": str(output.get("HealthState") or "")}


def d365_state(output: dict) -> dict:
    return {"config_template": str(output.get("ConfigTemplate") or ""), "old_config_template": str(output.get("OldConfigTemplate") or ""),
            "localagent_config": _json(output.get("LocalAgentConfig"), "localagent-config.json"),
            "localagent_cleanup": str(output.get("LocalAgentCleanup") or "").strip(),
            "localagent_version": str(output.get("LocalAgentVersion") or ""),
            "agent_share_config": _json(output.get("AgentShareConfig"), "config.json on the agent share"),
            "credentials_rotated_to": str(output.get("CredentialsRotatedTo") or "").strip().upper(),
            "flight_enabled": str(output.get("FlightEnabled") or ""), "rotation_enabled": str(output.get("RotationEnabled") or ""),
            "job_status": str(output.get("JobStatus") or "")}


def normalise(part: str, output: dict) -> dict:
    """A node's read as {"node"}; the primary's one read as {"node", "cluster", "d365"}."""
    if part == "primary":
        return {"node": node_state(output), "cluster": cluster_state(output), "d365": d365_state(output)}
    return {"node": node_state(output)}


def parts_of(state: dict) -> dict:
    """{"node"[, "cluster", "d365"]} from a host's read state ({part: normalised}, one part per host)."""
    return next(iter(state.values()))


# --- versions ------------------------------------------------------------------------------------
def version_tuple(text: str, what: str) -> tuple:
    parts = str(text or "").strip().split(".")
    if not parts[0].isdigit():
        raise CertopsError(f"the {what} version {text!r} cannot be read")
    return tuple(int(part) if part.isdigit() else 0 for part in parts)


def code_version_refusal(cluster: dict) -> str:
    version = version_tuple(cluster["code_version"], "Service Fabric")
    if version[:2] < MIN_CODE_VERSION:
        return (f"the cluster runs Service Fabric {cluster['code_version']}: certificate rotation must not be carried out on 7.0.x or "
                "7.1.x; upgrade the cluster to 7.2 or later first (Start-ServiceFabricClusterUpgrade -Code -CodePackageVersion <v> "
                "-Monitored -FailureAction Rollback)")
    return ""


# --- gates ---------------------------------------------------------------------------------------
def input_gates(gates: Gates, params: dict, hosts: list, play_hosts: list, now) -> dict:
    gates.require(hosts, f"inventory group '{params['group']}' ({VAR}group) is unknown or empty; name the group of the Service Fabric nodes")
    missing = [host for host in hosts if host not in play_hosts]
    gates.require(not missing, f"{', '.join(missing)} belong to the Service Fabric group but not to this play (--limit or the play's "
                               "hosts); every node must take part")
    gates.require(params["backup_confirmed"], f"the business database backup is not confirmed: back up the database (LCS \"Update "
                                              f"Settings\" requires it), then set {VAR}backup_confirmed to true")
    gates.require(params["watch_interval"] > 0 and params["watch_timeout"] > 0,
                  f"{VAR}watch_interval_seconds and {VAR}watch_timeout_seconds must be positive")
    reports = gates.run(inputs.pfx_reports, params, now) or {}
    gates.require(not reports or params["place_certificates"],
                  f"{VAR}pfx_files or {VAR}pfx_contents is given but {VAR}place_certificates is false; set it to true to place the PFX "
                  "certificates on every node")
    gates.run(inputs.given_thumbprints, params)
    gates.run(inputs.template_thumbprints, params)
    accounts = gates.run(checked_accounts, params["service_accounts"]) if params["service_accounts"] else []
    for refusal in inputs.other_certificate_refusals(params, now):
        gates.refuse(refusal)
    return {"reports": reports, "service_accounts": accounts or []}


def read_refusal(host: str, read) -> str:
    """Why a node's read cannot be used ("" when it can): no answer over WinRM, or the read script failed."""
    if not isinstance(read, dict) or read.get("unreachable") or read.get("unreachable_host"):
        reason = (read or {}).get("read_error") or (read or {}).get("msg") or "no answer"
        return f"{host} is unreachable over WinRM ({reason}); every Service Fabric node must answer before the rotation starts"
    error = read.get("read_error") or (read.get("msg") if read.get("failed") else None)
    return f"{host}: {error}" if error else ""


def host_states(reads: dict, hosts: list, gates: Gates) -> dict:
    """{host: {"node"[, "cluster", "d365"]}} of the nodes that answered; a refusal for each that did not."""
    refusals = {host: read_refusal(host, reads.get(host)) for host in hosts}
    for refusal in filter(None, refusals.values()):
        gates.refuse(refusal)
    return {host: parts_of(reads[host]["state"]) for host, refusal in refusals.items() if not refusal}


def document_refusals(primary: str, cluster: dict, d365: dict) -> list:
    problems = [cluster["config"] and cluster["config"].get("__error__"), d365["localagent_config"] and d365["localagent_config"].get("__error__"),
                d365["agent_share_config"] and d365["agent_share_config"].get("__error__")]
    refusals = [f"{primary}: {problem}" for problem in problems if problem]
    if cluster["config"] is None:
        refusals.append(f"{primary}: Get-ServiceFabricClusterConfiguration returned nothing; run the role on a node of a standalone cluster")
    if d365["localagent_config"] is None:
        refusals.append(f"{primary}: localagent-config.json was not found; set {VAR}localagent_config_path to its path on the first "
                        "Orchestrator node")
    return refusals


def node_types(config: dict) -> dict:
    """inventory host (lower case) -> node type, from the configuration's nodes."""
    return {str(node.get("nodeName") or "").lower(): str(node.get("nodeTypeRef") or "") for node in config.get("nodes") or []}


def placement_roles(hosts: list, config: dict, gates: Gates) -> tuple:
    """(primary, aos): the first host must be an Orchestrator node; Credentials.json is rotated on the first AOS node."""
    types = node_types(config)
    unknown = [host for host in hosts if host.lower() not in types]
    gates.require(not unknown, f"{', '.join(unknown)} are not nodes of the cluster configuration (nodeName); name the inventory hosts as "
                               "the cluster names its nodes")
    gates.require("orchestrator" in types.get(hosts[0].lower(), "").lower(),
                  f"{hosts[0]} (the first host of the group) is a {types.get(hosts[0].lower()) or 'unknown'} node; put an Orchestrator node "
                  "first: LocalAgentCLI.exe Cleanup runs there")
    aos = [host for host in hosts if "aos" in types.get(host.lower(), "").lower()]
    gates.require(aos, "no AOS node is in the group; Configure-CredentialsJson.ps1 must run on an AOS node")
    return hosts[0], (aos[0] if aos else hosts[0])


def agent_share_needed(d365: dict, params: dict, gates: Gates) -> bool:
    version = gates.run(version_tuple, d365["localagent_version"], "LocalAgent")
    if version is None:
        gates.refuse(f"the LocalAgent version could not be read (LocalAgentCLI.exe in {params['localagent_cli_path']}); set "
                     f"{VAR}localagent_cli_path to the LocalAgent folder")
        return False
    needed = version[:3] <= LAST_AGENT_NEEDING_SHARE_CONFIG
    gates.require(not needed or d365["agent_share_config"] is not None,
                  f"LocalAgent {d365['localagent_version']} (3.2.2 or older) also needs config.json on the agent share updated; set "
                  f"{VAR}agent_share_config_path to it (query DeploymentInstanceArtifact, AssetId 'config.json', in the orchestrator database)")
    return needed


def certificate_gates(gates: Gates, decided: dict, params: dict, now) -> None:
    """Every new certificate on every node with its key, readable by the service accounts (unless this run places it), and valid."""
    for role, thumbprint in decided["new"].items():
        placing = params["place_certificates"] and role in decided["reports"]
        lacking = [host for host in decided["hosts"] if not decided["states"][host]["node"]["certificates"].get(thumbprint, {}).get("has_key")]
        gates.require(placing or not lacking, f"the new {inputs.LABELS[role]} certificate {thumbprint} is not in LocalMachine\\My with its "
                                              f"private key on {', '.join(lacking)}; place it there (Configure-PreReqs.ps1) or give its PFX "
                                              f"in {VAR}pfx_files.{role} with {VAR}place_certificates=true")
        unreadable = [host for host in decided["hosts"] if host not in lacking and missing_readers(
            decided["service_accounts"], decided["states"][host]["node"]["certificates"][thumbprint]["readers"])]
        gates.require(params["place_certificates"] or not unreadable,
                      f"the service accounts cannot read the private key of the new {inputs.LABELS[role]} certificate {thumbprint} on "
                      f"{', '.join(unreadable)}; grant them read access or set {VAR}place_certificates=true")
        report = decided["reports"].get(role) or known_report(decided, thumbprint, now)
        if report:
            problem = inputs.validity_refusal(f"new {inputs.LABELS[role]}", report, params["min_days_remaining"])
            gates.require(not problem, problem)


def known_report(decided: dict, thumbprint: str, now):
    for host in decided["hosts"]:
        der = decided["states"][host]["node"]["certificates"].get(thumbprint, {}).get("der")
        if der:
            return certificate_report({"content": der}, now)
    return None


def cluster_gates(gates: Gates, decided: dict, params: dict) -> None:
    cluster, new = decided["cluster"], decided["new"]
    if decided["layout"] == clusterconfig.THUMBPRINT:
        rotated = clusterconfig.primary_thumbprint(cluster["config"]) == new["server"]
        if not rotated:
            gates.run(clusterconfig.refuse_two_to_two, cluster["config"])
        in_progress = cluster["upgrade_state"] not in ("", steps.COMPLETED) and cluster["upgrade_state"] not in steps.ROLLED_BACK
        gates.require(not in_progress or rotated, f"a cluster upgrade is {cluster['upgrade_state']} (to configuration version "
                                                  f"{cluster['config_version']}) that is not this rotation; wait until it completes")
    else:
        gates.run(common_name_gate, decided)
    template_thumbprint = decided["template"].get("encipherment")
    gates.require(template_thumbprint in ("", None, new["encipherment"]) or decided["d365"]["credentials_rotated_to"] == new["encipherment"],
                  f"ConfigTemplate.xml in {params['infrastructure_path']} names the axdataencipherment certificate {template_thumbprint}, "
                  f"not the new {new['encipherment']}; Configure-CredentialsJson.ps1 encrypts with the one it names: update "
                  "ConfigTemplate.xml first")


def common_name_gate(decided: dict) -> None:
    """The new server certificate must match a common name (and issuer) the cluster accepts, or the cluster will not pick it up."""
    report = decided["reports"].get("server") or known_report(decided, decided["new"]["server"], decided["now"])
    subject = str((report or {}).get("subject") or "")
    accepted = clusterconfig.common_names(decided["cluster"]["config"])
    if not any(f"CN={name}".lower() in subject.lower().split(",") for name, _issuers in accepted):
        names = ", ".join(name for name, _issuers in accepted)
        raise CertopsError(f"the new server certificate {decided['new']['server']} ({subject}) does not have a common name the cluster "
                           f"accepts ({names}); a changed common name needs Update-SFClusterConfig.ps1 -UpdateCommonNames first")


def job_done(d365: dict) -> bool:
    return d365["job_status"] == steps.JOB_FINISHED


def lcs_applied(decided: dict) -> bool:
    return all(decided["new"][role] in decided["cluster"]["app_thumbprints"] for role in LCS_FIELDS)


def cleanup_gates(gates: Gates, decided: dict, params: dict) -> None:
    if not params.get("cleanup"):
        return
    gates.require(lcs_applied(decided), "cleanup before the rotation is complete: LCS \"Update Settings\" has not been applied with the "
                                        "new thumbprints; run without cleanup, pass the manual gate, and clean up after the job is done")
    gates.require(job_done(decided["d365"]), f"cleanup before the encrypted data rotation job is done (job status "
                                             f"{decided['d365']['job_status'] or 'not scheduled'}): removing the old data-encryption "
                                             "certificate now loses data; run cleanup after the job has finished")


# --- the plan ------------------------------------------------------------------------------------
def resolve(params: dict, context: dict, checked: dict, states: dict, gates: Gates) -> dict:
    hosts = hosts_of(params, context["groups"])
    primary_state = states[hosts[0]]
    cluster, d365 = primary_state["cluster"], primary_state["d365"]
    for refusal in document_refusals(hosts[0], cluster, d365):
        gates.refuse(refusal)
    gates.close()
    share_template = gates.run(template.rotation_thumbprints, d365["config_template"], f"ConfigTemplate.xml in {params['infrastructure_path']}")
    old_template = gates.run(template.rotation_thumbprints, d365["old_config_template"], "the old ConfigTemplate.xml") \
        if d365["old_config_template"] else {}
    gates.require(not code_version_refusal(cluster), code_version_refusal(cluster))
    layout = gates.run(clusterconfig.layout, cluster["config"])
    new = gates.run(inputs.new_thumbprints, params, checked["reports"], share_template or {})
    gates.close()
    gates.run(inputs.same_certificate_twice, new)
    primary, aos = placement_roles(hosts, cluster["config"], gates)
    needs_agent_share = agent_share_needed(d365, params, gates)
    gates.close()
    return {"hosts": hosts, "states": states, "cluster": cluster, "d365": d365, "layout": layout, "new": new, "primary": primary, "aos": aos,
            "template": share_template or {}, "old": old_thumbprints(cluster, layout, old_template or {}, new), "reports": checked["reports"],
            "needs_agent_share": needs_agent_share, "service_accounts": checked["service_accounts"], "now": context["now"]}


def old_thumbprints(cluster: dict, layout: str, old_template: dict, new: dict) -> dict:
    """What the rotation retires: the old ConfigTemplate.xml's certificates, and for a thumbprint cluster its configuration's."""
    old = {role: thumbprint for role, thumbprint in old_template.items() if thumbprint != new.get(role)}
    if layout == clusterconfig.THUMBPRINT:
        config = cluster["config"]
        current = clusterconfig.primary_thumbprint(config)
        # After the cleanup upgrade the configuration no longer names the old server certificate: the old template does.
        old["server"] = (clusterconfig.secondary_thumbprint(config) or old.get("server")) if current == new["server"] else current
        demoted = [thumbprint for thumbprint, admin in clusterconfig.client_entries(config) if thumbprint != new["client"]]
        if demoted:
            old["client"] = demoted[0]
    return {role: value for role, value in old.items() if value}


def options_of(params: dict) -> dict:
    keys = ("replica_set_check_timeout", "watch_interval", "watch_timeout", "cluster_config_path", "localagent_config_path", "localagent_cli_path",
            "agent_share_config_path", "infrastructure_path", "sql_server", "database")
    return {key: params.get(key) for key in keys}


def plan(params: dict, reads: dict, context: dict) -> Plan:
    """The whole rotation from one read of every node, or one refusal listing every reason."""
    gates, now = Gates(), context["now"]
    hosts = hosts_of(params, context["groups"])
    checked = input_gates(gates, params, hosts, context["play_hosts"], now)
    gates.close()
    states = host_states(reads, hosts, gates)
    gates.close()
    decided = resolve(params, context, checked, states, gates)
    decided["options"] = options_of(params)
    certificate_gates(gates, decided, params, now)
    cluster_gates(gates, decided, params)
    cleanup_gates(gates, decided, params)
    gates.close()
    result = gates.run(build_plan, params, decided)
    gates.close()
    return result


def rotation_steps(decided: dict) -> list:
    placed = steps.place_steps(decided)
    cluster = steps.cluster_step(decided, [step.id for step in placed])
    first = [cluster] if cluster else placed
    d365 = steps.chain([lambda after: steps.localagent_step(decided, after or [step.id for step in first]),
                        lambda after: steps.agent_share_step(decided, after or [step.id for step in first]),
                        lambda after: steps.credentials_step(decided, after or [step.id for step in first])])
    return placed + ([cluster] if cluster else []) + d365


def manual_gate(decided: dict) -> ManualGate:
    values = {LCS_FIELDS[role]: decided["new"][role] for role in LCS_FIELDS}
    return ManualGate(id="lcs-update-settings", title="LCS environment > Full details > Maintain > Update Settings",
                      instructions="Back up the business database, enter these thumbprints, select Prepare, then Update environment "
                                   "(the environment is unavailable during the update); then run this role again.",
                      values=values)


def job_plan(decided: dict, params: dict, built: Plan) -> None:
    """After the LCS gate: enable the job, then wait for it (it runs two hours a day until all data is re-encrypted)."""
    step = steps.job_step(decided)
    if step:
        built.steps.append(step)
    if not job_done(decided["d365"]):
        until = decided["now"] + datetime.timedelta(hours=params["job_recheck_hours"])
        built.waits.append(Wait(id="encrypted-data-rotation-job", until=iso_z(until),
                                reason=f"the encrypted data rotation job re-encrypts the data (status {decided['d365']['job_status'] or 'not yet scheduled'}); "
                                       "the old data-encryption certificate must stay until it is done",
                                then="check the job; once it has finished, run with d365_service_fabric_cleanup=true"))


def build_plan(params: dict, decided: dict) -> Plan:
    planned = rotation_steps(decided)
    roles = {host: ("primary" if host == decided["hosts"][0] else "node") for host in decided["hosts"]}
    built = Plan(product=PRODUCT, created=iso_z(decided["now"]), hosts=roles, steps=planned, expected=expected_facts(decided, planned),
                 inputs=plan_inputs(params))
    if not planned and lcs_applied(decided):
        job_plan(decided, params, built)
    elif not lcs_applied(decided):
        built.manual_gates.append(manual_gate(decided))
    built.cleanup = steps.cleanup_steps(decided) if job_done(decided["d365"]) and lcs_applied(decided) else []
    built.summary, built.next = summary(decided), next_actions()
    built.warnings = warnings(decided, params)
    return built


def plan_inputs(params: dict) -> dict:
    return {key: params.get(key) for key in ("group", *READ_PATHS, "old_infrastructure_path", "agent_share_config_path", "database")}


def expected_facts(decided: dict, planned: list) -> dict:
    new = sorted(set(decided["new"].values()))
    expected = {host: {"new_certificates_with_key": new} for host in decided["hosts"]}
    primary = expected[decided["primary"]]
    if decided["layout"] == clusterconfig.THUMBPRINT:
        primary.update(cluster_certificate=decided["new"]["server"], upgrade_state=steps.COMPLETED)
    primary["localagent"] = steps.localagent_marker(decided)
    primary["credentials_rotated_to"] = decided["new"]["encipherment"]
    primary["health"] = "Ok"
    if any(step.id == "encrypted-data-rotation" for step in planned):
        primary["encrypted_data_rotation_enabled"] = True
    return expected


def facts(role: str, state: dict, document: dict) -> dict:
    """What verify compares with the plan's expected facts, from one read of a node."""
    state, wanted = parts_of(state), set()
    for values in document["expected"].values():
        wanted.update(values.get("new_certificates_with_key") or [])
    held = sorted(thumbprint for thumbprint in wanted if state["node"]["certificates"].get(thumbprint, {}).get("has_key"))
    found = {"new_certificates_with_key": held}
    if role == "primary":
        found.update(primary_facts(state))
    return found


def primary_facts(state: dict) -> dict:
    cluster, d365 = state["cluster"], state["d365"]
    config = cluster["config"] or {}
    agent = (d365["localagent_config"] or {}).get("serviceFabric", {}).get("certificateSettings", {})
    thumbprints = f"{str(agent.get('serverCertThumbprint', '')).upper()},{str(agent.get('clientCertThumbprint', '')).upper()}"
    found = {"upgrade_state": cluster["upgrade_state"], "health": cluster["health"],
             "localagent": thumbprints if d365["localagent_cleanup"] == thumbprints else f"{thumbprints} (Cleanup not recorded)",
             "credentials_rotated_to": d365["credentials_rotated_to"],
             "encrypted_data_rotation_enabled": d365["flight_enabled"] == "1" and d365["rotation_enabled"].lower() == "true"}
    try:
        found["cluster_certificate"] = clusterconfig.primary_thumbprint(config)
    except CertopsError:
        found["cluster_certificate"] = ""
    return found


def summary(decided: dict) -> list:
    lines = [f"D365 on Service Fabric ({decided['layout'].replace('_', ' ')}-based cluster, code {decided['cluster']['code_version']}): "
             f"{len(decided['hosts'])} nodes, primary {decided['primary']}, AOS {decided['aos']}"]
    for role in inputs.ROLES:
        lines.append(f"{inputs.LABELS[role]}: {decided['old'].get(role, 'unknown')} -> {decided['new'][role]}")
    return lines


def next_actions() -> dict:
    return {"check": "run without --check to apply the plan",
            "applied": "run again: it goes on from where this run stopped",
            "manual_gate": "do LCS \"Update Settings\" with the thumbprints above, then run this role again",
            "waiting": "run again after the date above (the encrypted data rotation job)",
            "cleaned": "nothing: the old certificates are gone"}


def warnings(decided: dict, params: dict) -> list:
    found = []
    if params.get("cleanup") and not params.get("old_infrastructure_path"):
        found.append(f"{VAR}old_infrastructure_path is not set: cleanup removes only the old Service Fabric certificates it finds in the "
                     "cluster configuration, not the old data-encryption, data-signing and encipherment certificates")
    if not params.get("other_certificates"):
        found.append(f"the SQL Server and AD FS certificates were not checked; give their public certificates in {VAR}other_certificates")
    return found


def secret_inputs(params: dict, document: dict, planned: list) -> dict:
    roles = sorted({name[len("pfx_"):] for step in planned for name in step["secrets"].values() if name.startswith("pfx_") and name != "pfx_password"})
    reports = {role: step["parameters"]["Thumbprint"] for step in planned for role in roles if step["id"].startswith(f"place-{role}-")}
    return inputs.pfx_secrets(params, reports, roles)
