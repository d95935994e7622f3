# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: servicefabric_cluster_upgrade_watch
# One look at a cluster upgrade, as the D365 page monitors it: Get-ServiceFabricClusterUpgrade,
# and "if UpgradeReplicaSetCheckTimeout was reset to the default (example 49710.06:28:15), run
# Update-ServiceFabricClusterUpgrade -UpgradeReplicaSetCheckTimeoutSec 30 again": a node type with
# a single node (SSRS) otherwise stalls the upgrade in its PreUpgradeSafetyCheck. The controller
# reads this every few seconds until UpgradeState is RollingForwardCompleted.
#
# References (Microsoft Learn):
#   onprem-update-sfcluster            https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/deployment/onprem-update-sfcluster
#   Update-ServiceFabricClusterUpgrade https://learn.microsoft.com/powershell/module/servicefabric/update-servicefabricclusterupgrade
[CmdletBinding(SupportsShouldProcess)]
param (
    [long]
    $ReplicaSetCheckTimeoutSec = 0
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: servicefabric_connect

Connect-CertopsCluster
$upgrade = Get-CertopsClusterUpgrade
$rolling = $upgrade.UpgradeState -like 'RollingForward*' -and $upgrade.UpgradeState -ne 'RollingForwardCompleted'
$reapplied = $false
if ($ReplicaSetCheckTimeoutSec -gt 0 -and $rolling -and $upgrade.UpgradeReplicaSetCheckTimeoutSec -gt $ReplicaSetCheckTimeoutSec) {
    if ($PSCmdlet.ShouldProcess('cluster upgrade', "UpgradeReplicaSetCheckTimeoutSec $ReplicaSetCheckTimeoutSec")) {
        Update-ServiceFabricClusterUpgrade -UpgradeReplicaSetCheckTimeoutSec $ReplicaSetCheckTimeoutSec
        $Ansible.Changed = $true
        $reapplied = $true
        $upgrade = Get-CertopsClusterUpgrade
    }
}

[PSCustomObject]@{
    ConfigVersion = $upgrade.ConfigVersion
    UpgradeState = $upgrade.UpgradeState
    UpgradeDomains = $upgrade.UpgradeDomains
    UpgradeReplicaSetCheckTimeoutSec = $upgrade.UpgradeReplicaSetCheckTimeoutSec
    TimeoutReapplied = $reapplied
}
