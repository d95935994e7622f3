# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""D365 on Service Fabric: the steps of the rotation, each from the difference between a read and the goal.

PRIVATE to the collection: the name and location may change without notice.

``decided`` is what the plan settled: ``new`` ({role: thumbprint}), ``old`` (same, what is retired),
``states`` (per host), ``primary`` (the Orchestrator node that runs cluster and LocalAgent steps),
``aos`` (the AOS node that rotates Credentials.json), ``cluster`` and ``d365`` (the primary's reads)
and the checked options.
"""
from __future__ import annotations

import json

from ansible_collections.certops.microsoft.plugins.module_utils._key_access import missing_readers
from ansible_collections.certops.microsoft.plugins.module_utils._products import d365_service_fabric_config as clusterconfig
from ansible_collections.certops.microsoft.plugins.module_utils._products.d365_service_fabric_inputs import LABELS, ROLES
from ansible_collections.certops.microsoft.plugins.module_utils._rotation_plan import Step

COMPLETED = "RollingForwardCompleted"
ROLLED_BACK = ["RollingBackInProgress", "RollingBackCompleted"]
JOB_FINISHED = "4"            # BatchStatus::Finished


# --- place: every new certificate with its key on every node, readable by the service accounts ---
def place_step(host: str, role: str, decided: dict):
    thumbprint = decided["new"][role]
    entry = decided["states"][host]["node"]["certificates"].get(thumbprint) or {}
    missing = missing_readers(decided["service_accounts"], entry.get("readers") or [])
    needs_import = not entry.get("has_key")
    if not needs_import and not missing:
        return None
    detail = (f"import the {LABELS[role]} certificate {thumbprint} with its private key into LocalMachine\\My"
              if needs_import else f"grant read access to the private key of the {LABELS[role]} certificate {thumbprint}")
    detail += f" and grant {', '.join(missing)} read access to the key" if needs_import and missing else (
        f" to {', '.join(missing)}" if missing else "")
    return Step(id=f"place-{role}-{host}", host=host, phase="place", action="place certificate", detail=detail,
                script="windows_certificate_import", parameters={"Thumbprint": thumbprint, "Account": missing, "Exportable": False},
                secrets={"Pfx": f"pfx_{role}", "PfxPassword": "pfx_password"} if needs_import else {})


def place_steps(decided: dict) -> list:
    steps = [place_step(host, role, decided) for host in decided["hosts"] for role in ROLES]
    return [step for step in steps if step]


# --- the cluster configuration upgrade and its watch ------------------------------------------------
def watch(decided: dict, version: str) -> dict:
    options = decided["options"]
    return {"script": "servicefabric_cluster_upgrade_watch", "parameters": {"ReplicaSetCheckTimeoutSec": options["replica_set_check_timeout"]},
            "until": {"UpgradeState": COMPLETED, "ConfigVersion": version}, "fail": {"UpgradeState": ROLLED_BACK},
            "interval_seconds": options["watch_interval"], "timeout_seconds": options["watch_timeout"],
            "progress_keys": ["UpgradeState", "ConfigVersion", "UpgradeDomains", "UpgradeReplicaSetCheckTimeoutSec", "TimeoutReapplied"]}


def upgrade_step(step_id: str, decided: dict, document: dict, after: list, what: str) -> Step:
    version = document["clusterConfigurationVersion"]
    return Step(id=step_id, host=decided["primary"], phase="cluster", action="upgrade cluster configuration",
                detail=f"{what}; clusterConfigurationVersion {version}; Start-ServiceFabricClusterConfigurationUpgrade, "
                       f"Update-ServiceFabricClusterUpgrade -UpgradeReplicaSetCheckTimeoutSec {decided['options']['replica_set_check_timeout']}, "
                       "then watch Get-ServiceFabricClusterUpgrade until RollingForwardCompleted",
                script="servicefabric_cluster_config_upgrade",
                parameters={"ClusterConfig": json.dumps(document, indent=4), "ClusterConfigPath": decided["options"]["cluster_config_path"],
                            "ReplicaSetCheckTimeoutSec": decided["options"]["replica_set_check_timeout"]},
                after=after, poll=watch(decided, version))


def resume_step(decided: dict, after: list) -> Step:
    """An upgrade to the new configuration is under way (a run stopped while watching it): keep the timeout and watch it."""
    version = decided["cluster"]["config_version"]
    return Step(id="cluster-watch", host=decided["primary"], phase="cluster", action="watch cluster configuration upgrade",
                detail=f"the upgrade to clusterConfigurationVersion {version} is {decided['cluster']['upgrade_state']}: re-apply "
                       "UpgradeReplicaSetCheckTimeoutSec when it was reset and watch it until RollingForwardCompleted",
                script="servicefabric_cluster_upgrade_watch",
                parameters={"ReplicaSetCheckTimeoutSec": decided["options"]["replica_set_check_timeout"]}, after=after,
                poll=watch(decided, version))


def cluster_step(decided: dict, after: list):
    """Thumbprint layout only; CN-based clusters pick the placed certificates up by themselves."""
    cluster = decided["cluster"]
    if decided["layout"] != clusterconfig.THUMBPRINT:
        return None
    if clusterconfig.primary_thumbprint(cluster["config"]) != decided["new"]["server"]:
        document = clusterconfig.rotated(cluster["config"], decided["new"]["server"], decided["new"]["client"])
        return upgrade_step("cluster-rotate", decided, document, after,
                            f"make {decided['new']['server']} the cluster and server certificate ({decided['old']['server']} secondary) and "
                            f"{decided['new']['client']} the admin client certificate")
    if cluster["upgrade_state"] != COMPLETED:
        return resume_step(decided, after)
    return None


# --- D365: LocalAgent, config.json, Credentials.json ------------------------------------------------
def with_thumbprints(document: dict, decided: dict) -> dict:
    """localagent-config.json / config.json with serviceFabric.certificateSettings set to the new server and client thumbprints."""
    updated = json.loads(json.dumps(document))
    settings = updated.setdefault("serviceFabric", {}).setdefault("certificateSettings", {})
    settings.update(serverCertThumbprint=decided["new"]["server"], clientCertThumbprint=decided["new"]["client"])
    return updated


def localagent_marker(decided: dict) -> str:
    return f"{decided['new']['server']},{decided['new']['client']}"


def localagent_step(decided: dict, after: list):
    d365 = decided["d365"]
    document = with_thumbprints(d365["localagent_config"], decided)
    if document == d365["localagent_config"] and d365["localagent_cleanup"] == localagent_marker(decided):
        return None
    options = decided["options"]
    return Step(id="localagent", host=decided["primary"], phase="localagent", action="update LocalAgent",
                detail=f"set serverCertThumbprint {decided['new']['server']} and clientCertThumbprint {decided['new']['client']} in "
                       f"{options['localagent_config_path']}, then LocalAgentCLI.exe Cleanup",
                script="d365_localagent_config_set",
                parameters={"LocalAgentConfigPath": options["localagent_config_path"], "LocalAgentCliPath": options["localagent_cli_path"],
                            "Content": json.dumps(document, indent=4), "Marker": localagent_marker(decided)}, after=after)


def agent_share_step(decided: dict, after: list):
    d365 = decided["d365"]
    if not decided["needs_agent_share"] or d365["agent_share_config"] is None:
        return None
    document = with_thumbprints(d365["agent_share_config"], decided)
    if document == d365["agent_share_config"]:
        return None
    path = decided["options"]["agent_share_config_path"]
    return Step(id="agent-share-config", host=decided["primary"], phase="localagent", action="update config.json on the agent share",
                detail=f"set serverCertThumbprint and clientCertThumbprint in {path} (LocalAgent {d365['localagent_version']} is 3.2.2 or older)",
                script="d365_agent_share_config_set", parameters={"AgentShareConfigPath": path, "Content": json.dumps(document, indent=4)},
                after=after)


def credentials_step(decided: dict, after: list):
    thumbprint = decided["new"]["encipherment"]
    if decided["d365"]["credentials_rotated_to"] == thumbprint:
        return None
    return Step(id="credentials", host=decided["aos"], phase="credentials", action="rotate Credentials.json",
                detail=f"Configure-CredentialsJson.ps1 -Action Rotate: re-encrypt Credentials.json with the axdataencipherment certificate {thumbprint}",
                script="d365_credentials_rotate",
                parameters={"InfrastructurePath": decided["options"]["infrastructure_path"], "Thumbprint": thumbprint}, after=after)


def job_step(decided: dict):
    d365 = decided["d365"]
    if d365["flight_enabled"] == "1" and str(d365["rotation_enabled"]).lower() == "true":
        return None
    options = decided["options"]
    return Step(id="encrypted-data-rotation", host=decided["primary"], phase="job", action="enable the encrypted data rotation job",
                detail=f"in {options['database']} on {options['sql_server']}: SYSFLIGHTING EnableEncryptedDataCrawlerRotationTask = 1 and "
                       "SECURITYCONFIG EnableEncryptedDataRotation = True (the job re-encrypts the data with the new data-encryption "
                       "certificate)", script="d365_encrypted_data_rotation_set",
                parameters={"SqlServer": options["sql_server"], "Database": options["database"]})


def chain(steps: list) -> list:
    """The D365 steps in the documented order: each after the one before it."""
    ordered, previous = [], []
    for build in steps:
        step = build(previous)
        if step:
            ordered.append(step)
            previous = [step.id]
    return ordered


# --- cleanup -----------------------------------------------------------------------------------
def cleanup_upgrade(decided: dict):
    config = decided["cluster"]["config"]
    retired = [decided["old"].get("client")] if decided["old"].get("client") else []
    if decided["layout"] != clusterconfig.THUMBPRINT or not clusterconfig.needs_cleanup(config, retired):
        return None
    document = clusterconfig.cleaned(config, retired)
    step = upgrade_step("cluster-cleanup", decided, document, [], f"drop ThumbprintSecondary {clusterconfig.secondary_thumbprint(config)} and "
                        f"the old client entry {', '.join(retired) or 'none'}")
    step.phase, step.irreversible = "cleanup", True
    return step


def removal_step(host: str, role: str, thumbprint: str, after: list) -> Step:
    return Step(id=f"remove-{role}-{host}", host=host, phase="cleanup", irreversible=True, action="remove old certificate",
                detail=f"remove the old {LABELS[role]} certificate {thumbprint} from LocalMachine\\My", after=after,
                module="ansible.windows.win_certificate_store",
                module_args={"thumbprint": thumbprint, "store_location": "LocalMachine", "store_name": "My", "state": "absent"})


def removal_steps(decided: dict, roles: tuple, after: list) -> list:
    steps = []
    for role in roles:
        old = decided["old"].get(role)
        if not old or old in decided["new"].values():
            continue
        steps += [removal_step(host, role, old, after) for host in decided["hosts"]
                  if old in decided["states"][host]["node"]["certificates"]]
    return steps


def cleanup_steps(decided: dict) -> list:
    """Old thumbprints out of the cluster configuration, then the old certificates, the data-encryption one last."""
    upgrade = cleanup_upgrade(decided)
    first = [upgrade] if upgrade else []
    others = removal_steps(decided, ("server", "client", "data_signing", "encipherment"), [step.id for step in first])
    last = removal_steps(decided, ("data_encryption",), [step.id for step in first + others])
    return first + others + last
