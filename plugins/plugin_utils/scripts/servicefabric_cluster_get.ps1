# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: servicefabric_cluster_get
# The cluster as the D365 rotation needs it, in one execution on one node: the cluster
# configuration (ClusterConfig.json, the document Start-ServiceFabricClusterConfigurationUpgrade
# takes), the code version and the state of the last cluster upgrade, the thumbprint parameters
# of the deployed applications (after LCS "Update Settings" they show the new thumbprints; the
# names may differ from LCS, the values must match), and the cluster's health. Data only: the
# controller transforms the configuration and decides.
#
# References (Microsoft Learn):
#   Get-ServiceFabricClusterConfiguration
#                                      https://learn.microsoft.com/powershell/module/servicefabric/get-servicefabricclusterconfiguration
#   Get-ServiceFabricApplication (ApplicationName, ApplicationParameters)
#                                      https://learn.microsoft.com/powershell/module/servicefabric/get-servicefabricapplication
#   Get-ServiceFabricClusterHealth (AggregatedHealthState)
#                                      https://learn.microsoft.com/powershell/module/servicefabric/get-servicefabricclusterhealth
[CmdletBinding(SupportsShouldProcess)]
param ()

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: servicefabric_connect

Connect-CertopsCluster
$upgrade = Get-CertopsClusterUpgrade
$applications = foreach ($application in @(Get-ServiceFabricApplication)) {
    $thumbprints = foreach ($parameter in @($application.ApplicationParameters)) {
        if ($parameter.Name -like '*Thumbprint*') {
            [PSCustomObject]@{ Name = [string]$parameter.Name; Value = [string]$parameter.Value }
        }
    }
    [PSCustomObject]@{ ApplicationName = [string]$application.ApplicationName; Thumbprints = @($thumbprints) }
}

[PSCustomObject]@{
    ClusterConfiguration = [string](Get-ServiceFabricClusterConfiguration)
    CodeVersion = $upgrade.CodeVersion
    ConfigVersion = $upgrade.ConfigVersion
    UpgradeState = $upgrade.UpgradeState
    UpgradeDomains = $upgrade.UpgradeDomains
    UpgradeReplicaSetCheckTimeoutSec = $upgrade.UpgradeReplicaSetCheckTimeoutSec
    Applications = @($applications)
    HealthState = [string](Get-ServiceFabricClusterHealth).AggregatedHealthState
}
