# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Twins of the D365 scripts (plugins/plugin_utils/scripts/d365_*.ps1) over the cluster model's D365 pieces.

They fail where the real tools fail: LocalAgentCLI.exe Cleanup cannot connect when the node lacks
the certificates localagent-config.json names; Configure-CredentialsJson.ps1 -Action Rotate needs
the certificate Credentials.json is encrypted with (to decrypt) and the one ConfigTemplate.xml
names (to encrypt) on the AOS node; Invoke-Sqlcmd needs the server and database the model has.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET  # nosec B405 - the lab writes this XML, it parses none

from certops_lab.clock import isoformat
from certops_lab.contracts import CmdletError, ScriptOutcome
from certops_lab.products.service_fabric import cluster_of, job_status, usable
from certops_lab.products.service_fabric_twins import cluster_read, node_read
from certops_lab.twins.scripts import script_twin

TYPES = {"server": "ServiceFabric", "client": "ServiceFabricClient", "encipherment": "ServiceFabricEncryption",
         "data_encryption": "DataEncryption", "data_signing": "DataSigning"}
SQL_SERVER, DATABASE = "sql.d365.lab.test", "AXDB"


def config_template(thumbprints: dict) -> str:
    """A ConfigTemplate.xml (configure-infrascripts-onprem shape) naming these certificates."""
    if not thumbprints:
        return ""
    root = ET.Element("Config")
    certificates = ET.SubElement(root, "Certificates")
    for role, thumbprint in thumbprints.items():
        element = ET.SubElement(certificates, "Certificate", type=TYPES[role], exportable="true", generateADCSCert="true", disabled="false")
        ET.SubElement(element, "Name").text = f"{TYPES[role]}-lab"
        ET.SubElement(element, "Thumbprint").text = thumbprint.lower()
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


def _check_sql(parameters: dict) -> None:
    if str(parameters.get("SqlServer")) != SQL_SERVER or str(parameters.get("Database")) != DATABASE:
        raise CmdletError(f"A network-related or instance-specific error occurred while establishing a connection to SQL Server "
                          f"'{parameters.get('SqlServer')}' (database '{parameters.get('Database')}').")


def _same_path(given, expected: str, what: str) -> None:
    if str(given or "").lower() != str(expected or "").lower():
        raise CmdletError(f"Cannot find path '{given}' because it does not exist. ({what})")


def _text(document) -> str:
    return json.dumps(document, indent=4) if document is not None else ""


def job_read(estate, cluster) -> dict:
    """Get-CertopsEncryptedDataRotation (include/d365_database.ps1): a column without a row is $null."""
    database = cluster.d365["database"]
    return {"FlightEnabled": database["flight_enabled"] or None, "RotationEnabled": database["rotation_enabled"] or None,
            "JobStatus": job_status(cluster, estate.clock) or None}


def _given(parameters: dict, name: str, expected: str) -> bool:
    """Whether a path parameter names the model's file (paths compare case-insensitively, as on Windows)."""
    return bool(expected) and str(parameters.get(name) or "").lower() == expected.lower()


def environment_read(estate, host, parameters) -> dict:
    """The D365 part of d365_orchestrator_get: ConfigTemplate.xml (new, old), LocalAgent, config.json, markers, the job."""
    cluster = cluster_of(estate, host.name, "LocalAgentCLI.exe")
    d365 = cluster.d365
    _same_path(parameters.get("LocalAgentCliPath"), d365["localagent_cli_path"], "LocalAgentCLI.exe")
    _check_sql(parameters)
    infrastructure = _given(parameters, "InfrastructurePath", d365["infrastructure_path"])
    local_config = _given(parameters, "LocalAgentConfigPath", d365["localagent_config_path"])
    return {"ConfigTemplate": config_template(d365["config_template"]) if infrastructure else "",
            "OldConfigTemplate": config_template(d365["old_config_template"]) if _given(parameters, "OldInfrastructurePath",
                                                                                        d365["old_infrastructure_path"]) else "",
            "LocalAgentConfig": _text(d365["localagent_config"]) if local_config else "",
            "LocalAgentCleanup": d365["localagent_cleanup"] if local_config else "",
            "LocalAgentVersion": d365["localagent_version"],
            "AgentShareConfig": _text(d365["agent_share_config"]) if _given(parameters, "AgentShareConfigPath", d365["agent_share_config_path"]) else "",
            "CredentialsRotatedTo": d365["credentials"]["marker"] if infrastructure else "",
            **job_read(estate, cluster)}


@script_twin("d365_orchestrator_get")
def d365_orchestrator_get(estate, host, parameters, ctx):
    """One read of the Orchestrator node: its certificates, the cluster, the D365 pieces (in the script's order)."""
    node, warnings = node_read(host, ctx)
    cluster = cluster_read(estate, host)
    return ScriptOutcome(output=[{**node, **cluster, **environment_read(estate, host, parameters)}], warnings=warnings)


def _json_content(parameters: dict) -> dict:
    try:
        return json.loads(str(parameters.get("Content") or ""))
    except ValueError:
        raise CmdletError("Invalid JSON primitive: Content.") from None


@script_twin("d365_localagent_config_set")
def d365_localagent_config_set(estate, host, parameters, ctx):
    cluster = cluster_of(estate, host.name, "LocalAgentCLI.exe")
    d365 = cluster.d365
    _same_path(parameters.get("LocalAgentConfigPath"), d365["localagent_config_path"], "localagent-config.json")
    _same_path(parameters.get("LocalAgentCliPath"), d365["localagent_cli_path"], "LocalAgentCLI.exe")
    document, exit_code = _json_content(parameters), None
    if not ctx.check_mode:
        d365["localagent_config"] = document
        settings = document.get("serviceFabric", {}).get("certificateSettings", {})
        lacking = [value for value in settings.values() if not usable(estate, host.name, value)]
        if lacking:
            raise CmdletError(f"LocalAgentCLI.exe Cleanup exited with 1; see its output above. localagent-config.json holds the new "
                              f"thumbprints. (cannot connect to the cluster: certificate {', '.join(lacking)} not found)")
        exit_code, d365["cleanups"] = 0, d365["cleanups"] + 1
        d365["localagent_cleanup"] = str(parameters.get("Marker") or "")
    return ScriptOutcome(output=[{"LocalAgentConfig": _text(d365["localagent_config"]), "LocalAgentCleanup": d365["localagent_cleanup"],
                                  "CleanupExitCode": exit_code}], changed=not ctx.check_mode)


@script_twin("d365_agent_share_config_set")
def d365_agent_share_config_set(estate, host, parameters, ctx):
    d365 = cluster_of(estate, host.name, "Set-Content").d365
    _same_path(parameters.get("AgentShareConfigPath"), d365["agent_share_config_path"], "config.json")
    document = _json_content(parameters)
    if not ctx.check_mode:
        d365["agent_share_config"] = document
    return ScriptOutcome(output=[{"AgentShareConfig": _text(d365["agent_share_config"])}], changed=not ctx.check_mode)


@script_twin("d365_credentials_rotate")
def d365_credentials_rotate(estate, host, parameters, ctx):
    cluster = cluster_of(estate, host.name, "Configure-CredentialsJson.ps1")
    d365 = cluster.d365
    _same_path(parameters.get("InfrastructurePath"), d365["infrastructure_path"], "Infrastructure")
    if "aos" not in cluster.nodes[host.name]["node_type"].lower():
        raise CmdletError("Configure-CredentialsJson.ps1 must be run from an AOS node.")
    target, current = d365["config_template"].get("encipherment", ""), d365["credentials"]["encrypted_with"]
    for thumbprint, use in ((current, "decrypt"), (target, "encrypt")):
        if not usable(estate, host.name, thumbprint):
            raise CmdletError(f"Cannot {use} Credentials.json: the certificate {thumbprint} with its private key was not found in Cert:\\LocalMachine\\My.")
    if not ctx.check_mode:
        d365["credentials"].update(encrypted_with=target, marker=str(parameters.get("Thumbprint") or ""))
    return ScriptOutcome(output=[{"CredentialsRotatedTo": d365["credentials"]["marker"]}], changed=not ctx.check_mode)


@script_twin("d365_encrypted_data_rotation_set")
def d365_encrypted_data_rotation_set(estate, host, parameters, ctx):
    cluster = cluster_of(estate, host.name, "Invoke-Sqlcmd")
    _check_sql(parameters)
    database = cluster.d365["database"]
    if not ctx.check_mode:
        database.update(flight_enabled="1", rotation_enabled="True")
        # The AOS schedules the job once it sees the configuration; the lab starts it at once.
        database["job_started"] = database["job_started"] or isoformat(estate.clock)
    return ScriptOutcome(output=[job_read(estate, cluster)], changed=not ctx.check_mode)
