# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Twins of the Service Fabric scripts (plugins/plugin_utils/scripts/servicefabric_*.ps1) over the cluster model,
and the node and cluster parts of d365_orchestrator_get (products/d365_twins.py).

Each returns exactly the properties its script emits, and fails where the script would, with the
message Windows shows. In check mode the scripts' ShouldProcess guard skips every change, and so
do the twins. The watch twin moves the lab clock by the cluster's ``watch_read_advances`` before
it reads (see products/service_fabric.py): that is how an upgrade advances on a frozen clock.
"""
from __future__ import annotations

import json

from certops_lab.clock import parse_offset
from certops_lab.contracts import CmdletError, ScriptOutcome
from certops_lab.products.service_fabric import DEFAULT_TIMEOUT, cluster_of, node_has_cluster_certificate
from certops_lab.products.windows import caller, certificate_fact
from certops_lab.twins.scripts import script_twin

TIMED_OUT = "Start-ServiceFabricClusterConfigurationUpgrade : Operation timed out. The upgrade proceeds; certops watches it."


def node_read(host, ctx) -> tuple:
    """({"ComputerName", "Certificates"}, warnings): LocalMachine\\My with key facts and readers (Get-CertopsMachineStoreFact -Readers)."""
    warnings = []
    certificates = [certificate_fact(entry, ("LocalMachine", "My"), caller(host, ctx), warnings, readers=True)
                    for entry in host.store("LocalMachine", "My").entries.values()]
    return {"ComputerName": host.name.upper(), "Certificates": certificates}, warnings


@script_twin("servicefabric_node_get")
def servicefabric_node_get(estate, host, parameters, ctx):
    del estate, parameters
    output, warnings = node_read(host, ctx)
    return ScriptOutcome(output=[output], warnings=warnings)


def upgrade_view(cluster) -> dict:
    """Get-CertopsClusterUpgrade (include/servicefabric_connect.ps1)."""
    return {"CodeVersion": cluster.code_version, "ConfigVersion": str(cluster.effective_config().get("clusterConfigurationVersion")),
            "UpgradeState": cluster.upgrade_state(), "UpgradeDomains": cluster.domain_status(),
            "UpgradeReplicaSetCheckTimeoutSec": cluster.replica_timeout}


def health(estate, cluster) -> str:
    healthy = all(node_has_cluster_certificate(estate, host, cluster, config) for host in cluster.nodes for config in cluster.config_for(host))
    return "Ok" if healthy else "Error"


APPLICATION_PARAMETERS = {"client": "ClientCertificateThumbprint", "data_encryption": "DataEncryptionCertificateThumbprint",
                          "data_signing": "DataSigningCertificateThumbprint", "encipherment": "EncryptionCertificateThumbprint"}


def applications(cluster) -> list:
    thumbprints = [{"Name": APPLICATION_PARAMETERS[role], "Value": value} for role, value in cluster.d365["applications"].items()]
    return [{"ApplicationName": "fabric:/AXSF", "Thumbprints": thumbprints}]


def cluster_read(estate, host) -> dict:
    """The cluster part of d365_orchestrator_get: configuration, upgrade, application thumbprints, health."""
    cluster = cluster_of(estate, host.name, "Connect-ServiceFabricCluster")
    cluster.advance(estate, estate.clock)
    return {"ClusterConfiguration": json.dumps(cluster.effective_config(), indent=4), **upgrade_view(cluster),
            "Applications": applications(cluster), "HealthState": health(estate, cluster)}


def _timeout(parameters: dict) -> int:
    value = parameters.get("ReplicaSetCheckTimeoutSec", 0)
    if isinstance(value, bool) or not isinstance(value, int):
        raise CmdletError(f"Cannot process argument transformation on parameter 'ReplicaSetCheckTimeoutSec'. Cannot convert value \"{value}\" "
                          "to type \"System.Int64\".")
    return value


@script_twin("servicefabric_cluster_config_upgrade")
def servicefabric_cluster_config_upgrade(estate, host, parameters, ctx):
    cluster = cluster_of(estate, host.name, "Connect-ServiceFabricCluster")
    try:
        target = json.loads(str(parameters.get("ClusterConfig") or ""))
    except ValueError:
        raise CmdletError("Invalid JSON primitive: ClusterConfig.") from None
    timeout, warnings = _timeout(parameters), []
    if not ctx.check_mode:
        cluster.advance(estate, estate.clock)
        cluster.start_upgrade(target, estate.clock)
        warnings.append(TIMED_OUT)
        if timeout > 0:
            cluster.replica_timeout = timeout
    view = upgrade_view(cluster)
    return ScriptOutcome(output=[{"StartTimedOut": not ctx.check_mode, "ConfigVersion": view["ConfigVersion"], "UpgradeState": view["UpgradeState"],
                                  "UpgradeDomains": view["UpgradeDomains"], "UpgradeReplicaSetCheckTimeoutSec": view["UpgradeReplicaSetCheckTimeoutSec"]}],
                         changed=not ctx.check_mode, warnings=warnings)


@script_twin("servicefabric_cluster_upgrade_watch")
def servicefabric_cluster_upgrade_watch(estate, host, parameters, ctx):
    cluster = cluster_of(estate, host.name, "Connect-ServiceFabricCluster")
    timeout = _timeout(parameters)
    estate.clock = estate.clock + parse_offset(cluster.watch_read_advances)
    cluster.advance(estate, estate.clock)
    state = cluster.upgrade_state()
    rolling = state.startswith("RollingForward") and state != "RollingForwardCompleted"
    reapplied = bool(timeout > 0 and rolling and cluster.replica_timeout > timeout and not ctx.check_mode)
    if reapplied:
        cluster.replica_timeout = timeout
    view = upgrade_view(cluster)
    return ScriptOutcome(output=[{"ConfigVersion": view["ConfigVersion"], "UpgradeState": view["UpgradeState"], "UpgradeDomains": view["UpgradeDomains"],
                                  "UpgradeReplicaSetCheckTimeoutSec": view["UpgradeReplicaSetCheckTimeoutSec"], "TimeoutReapplied": reapplied}],
                         changed=reapplied)


__all__ = ["DEFAULT_TIMEOUT"]
