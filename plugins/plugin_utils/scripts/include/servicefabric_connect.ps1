# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Include fragment: connect to the Service Fabric cluster this node belongs to, as the D365
# procedure does ("Connect to the Service Fabric Cluster from a node within the cluster"), and read
# the cluster upgrade as data.
#
# References (Microsoft Learn):
#   Connect-ServiceFabricCluster       https://learn.microsoft.com/powershell/module/servicefabric/connect-servicefabriccluster
#   Get-ServiceFabricClusterUpgrade    https://learn.microsoft.com/powershell/module/servicefabric/get-servicefabricclusterupgrade
#   FabricUpgradeProgress (TargetCodeVersion, TargetConfigVersion, UpgradeState, UpgradeDomains)
#                                      https://learn.microsoft.com/dotnet/api/system.fabric.fabricupgradeprogress
#   D365 on-premises: onprem-update-sfcluster ("note UpgradeState and UpgradeReplicaSetCheckTimeout")
#                                      https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/deployment/onprem-update-sfcluster

Function Connect-CertopsCluster {
    # The ServiceFabric module ships with the Service Fabric runtime on every node.
    Import-Module -Name ServiceFabric
    $null = Connect-ServiceFabricCluster
}

Function Get-CertopsClusterUpgrade {
    # UpgradeReplicaSetCheckTimeout is a TimeSpan; its default is 49710.06:28:15 (UInt32.MaxValue seconds).
    $upgrade = Get-ServiceFabricClusterUpgrade
    $domains = foreach ($domain in @($upgrade.UpgradeDomains)) {
        "$($domain.Name)=$($domain.State)"
    }
    [PSCustomObject]@{
        CodeVersion = [string]$upgrade.TargetCodeVersion
        ConfigVersion = [string]$upgrade.TargetConfigVersion
        UpgradeState = [string]$upgrade.UpgradeState
        UpgradeDomains = @($domains)
        UpgradeReplicaSetCheckTimeoutSec = [long]$upgrade.UpgradeReplicaSetCheckTimeout.TotalSeconds
    }
}
