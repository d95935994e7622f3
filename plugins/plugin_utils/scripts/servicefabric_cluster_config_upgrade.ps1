# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: servicefabric_cluster_config_upgrade
# Starts one cluster configuration upgrade with the ClusterConfig.json the controller built
# (rotation or cleanup of the thumbprints), as onprem-update-sfcluster documents it:
#   Connect-ServiceFabricCluster
#   Start-ServiceFabricClusterConfigurationUpgrade -ClusterConfigPath ClusterConfig.json
#   Update-ServiceFabricClusterUpgrade -UpgradeReplicaSetCheckTimeoutSec 30   (a node type with one node)
# Start-ServiceFabricClusterConfigurationUpgrade may end with "Operation timed out" while the
# upgrade goes on (the older D365 page says to cancel it with Ctrl+C, "Be aware that the upgrade
# will proceed"): that timeout is reported as StartTimedOut, not as a failure, and the controller
# watches the upgrade (servicefabric_cluster_upgrade_watch) until RollingForwardCompleted.
#
# References (Microsoft Learn):
#   Start-ServiceFabricClusterConfigurationUpgrade
#                                      https://learn.microsoft.com/powershell/module/servicefabric/start-servicefabricclusterconfigurationupgrade
#   Update-ServiceFabricClusterUpgrade https://learn.microsoft.com/powershell/module/servicefabric/update-servicefabricclusterupgrade
#   Set-Content, ConvertFrom-Json      https://learn.microsoft.com/powershell/module/microsoft.powershell.management/set-content
#                                      https://learn.microsoft.com/powershell/module/microsoft.powershell.utility/convertfrom-json
[CmdletBinding(SupportsShouldProcess)]
param (
    [Parameter(Mandatory)]
    [string]
    $ClusterConfig,

    [Parameter(Mandatory)]
    [string]
    $ClusterConfigPath,

    # 0: no node type has a single node, leave the replica set check alone.
    [long]
    $ReplicaSetCheckTimeoutSec = 0
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: servicefabric_connect

# The document must be JSON before it is written where the cmdlet reads it.
$null = ConvertFrom-Json -InputObject $ClusterConfig
$timedOut = $false
if ($PSCmdlet.ShouldProcess($ClusterConfigPath, 'Start-ServiceFabricClusterConfigurationUpgrade')) {
    Set-Content -Path $ClusterConfigPath -Value $ClusterConfig -Encoding UTF8
    Connect-CertopsCluster
    try {
        Start-ServiceFabricClusterConfigurationUpgrade -ClusterConfigPath $ClusterConfigPath
    }
    catch [System.TimeoutException] {
        $timedOut = $true
        Write-Warning -Message "Start-ServiceFabricClusterConfigurationUpgrade : Operation timed out. The upgrade proceeds; certops watches it."
    }
    $Ansible.Changed = $true
    if ($ReplicaSetCheckTimeoutSec -gt 0) {
        Update-ServiceFabricClusterUpgrade -UpgradeReplicaSetCheckTimeoutSec $ReplicaSetCheckTimeoutSec
    }
}

$upgrade = Get-CertopsClusterUpgrade
[PSCustomObject]@{
    StartTimedOut = $timedOut
    ConfigVersion = $upgrade.ConfigVersion
    UpgradeState = $upgrade.UpgradeState
    UpgradeDomains = $upgrade.UpgradeDomains
    UpgradeReplicaSetCheckTimeoutSec = $upgrade.UpgradeReplicaSetCheckTimeoutSec
}
