# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: d365_orchestrator_get
# Everything a D365 Finance + Operations on-premises certificate rotation reads from the
# Orchestrator node it runs from, in one execution (certificate-rotation-on-prem,
# onprem-update-sfcluster); the other nodes are read with servicefabric_node_get.ps1:
# - the node: every certificate in LocalMachine\My with its private-key facts and key readers;
# - the cluster: its configuration (ClusterConfig.json, the document
#   Start-ServiceFabricClusterConfigurationUpgrade takes), the code version and the last cluster
#   upgrade, the thumbprint parameters of the deployed applications (after LCS "Update Settings"
#   they show the new thumbprints; the names may differ from LCS, the values must match), and the
#   cluster's health;
# - D365: ConfigTemplate.xml of the Infrastructure scripts (the new thumbprints;
#   Configure-CredentialsJson.ps1 reads it) and, when given, the old one (InfrastructureOld, the old
#   thumbprints); localagent-config.json and the LocalAgent version, which decides whether config.json
#   on the agent share must be edited too (LocalAgent 3.2.2 and older); config.json on the agent
#   share, when its path is given; what certops recorded of the LocalAgent clean-up and the
#   Credentials.json rotation; the business database rows of the encrypted-data rotation job.
# Data only: the controller parses, transforms and decides.
# SupportsShouldProcess only so that win_powershell runs this read in check mode too.
#
# References (Microsoft Learn):
#   Certificate rotation (D365 on-premises)
#                                      https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/deployment/certificate-rotation-on-prem
#   Get-ServiceFabricClusterConfiguration
#                                      https://learn.microsoft.com/powershell/module/servicefabric/get-servicefabricclusterconfiguration
#   Get-ServiceFabricApplication (ApplicationName, ApplicationParameters)
#                                      https://learn.microsoft.com/powershell/module/servicefabric/get-servicefabricapplication
#   Get-ServiceFabricClusterHealth (AggregatedHealthState)
#                                      https://learn.microsoft.com/powershell/module/servicefabric/get-servicefabricclusterhealth
#   Get-Item, FileVersionInfo          https://learn.microsoft.com/powershell/module/microsoft.powershell.management/get-item
#   Join-Path                          https://learn.microsoft.com/powershell/module/microsoft.powershell.management/join-path
[CmdletBinding(SupportsShouldProcess)]
param (
    # The Infrastructure scripts folder: its ConfigTemplate.xml names the new certificates.
    [Parameter(Mandatory)]
    [string]
    $InfrastructurePath,

    # The Infrastructure folder of the previous rotation (InfrastructureOld): its ConfigTemplate.xml names the old certificates.
    [string]
    $OldInfrastructurePath = '',

    # localagent-config.json on this node, and the folder of LocalAgentCLI.exe (its file version is the LocalAgent version).
    [Parameter(Mandatory)]
    [string]
    $LocalAgentConfigPath,

    [Parameter(Mandatory)]
    [string]
    $LocalAgentCliPath,

    # config.json on the agent share; '' when the LocalAgent version does not need it.
    [string]
    $AgentShareConfigPath = '',

    # The SQL Server instance and the business database of the encrypted-data rotation job.
    [Parameter(Mandatory)]
    [string]
    $SqlServer,

    [Parameter(Mandatory)]
    [string]
    $Database
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: certificate_facts
# certops-include: servicefabric_connect
# certops-include: d365_files
# certops-include: d365_database

Function Get-CertopsApplicationThumbprint {
    # Each application with its parameters whose name holds "Thumbprint".
    foreach ($application in @(Get-ServiceFabricApplication)) {
        $thumbprints = foreach ($parameter in @($application.ApplicationParameters)) {
            if ($parameter.Name -like '*Thumbprint*') {
                [PSCustomObject]@{ Name = [string]$parameter.Name; Value = [string]$parameter.Value }
            }
        }
        [PSCustomObject]@{ ApplicationName = [string]$application.ApplicationName; Thumbprints = @($thumbprints) }
    }
}

Function Read-CertopsConfigTemplate {
    # ConfigTemplate.xml of an Infrastructure folder as text; '' when no folder is given.
    param ([string]$Folder)

    if (-not $Folder) {
        return ''
    }
    Read-CertopsText -Path (Join-Path -Path $Folder -ChildPath 'ConfigTemplate.xml')
}

Connect-CertopsCluster
$upgrade = Get-CertopsClusterUpgrade
$job = Get-CertopsEncryptedDataRotation -SqlServer $SqlServer -Database $Database
$cli = Join-Path -Path $LocalAgentCliPath -ChildPath 'LocalAgentCLI.exe'

[PSCustomObject]@{
    ComputerName = $env:COMPUTERNAME
    Certificates = @(Get-CertopsMachineStoreFact -StoreName 'My' -Readers)
    ClusterConfiguration = [string](Get-ServiceFabricClusterConfiguration)
    CodeVersion = $upgrade.CodeVersion
    ConfigVersion = $upgrade.ConfigVersion
    UpgradeState = $upgrade.UpgradeState
    UpgradeDomains = $upgrade.UpgradeDomains
    UpgradeReplicaSetCheckTimeoutSec = $upgrade.UpgradeReplicaSetCheckTimeoutSec
    Applications = @(Get-CertopsApplicationThumbprint)
    HealthState = [string](Get-ServiceFabricClusterHealth).AggregatedHealthState
    ConfigTemplate = Read-CertopsConfigTemplate -Folder $InfrastructurePath
    OldConfigTemplate = Read-CertopsConfigTemplate -Folder $OldInfrastructurePath
    LocalAgentConfig = Read-CertopsText -Path $LocalAgentConfigPath
    LocalAgentCleanup = Read-CertopsText -Path (Get-CertopsCleanupMarkerPath -LocalAgentConfigPath $LocalAgentConfigPath)
    LocalAgentVersion = [string](Get-Item -Path $cli).VersionInfo.FileVersion
    AgentShareConfig = Read-CertopsText -Path $AgentShareConfigPath
    CredentialsRotatedTo = Read-CertopsText -Path (Get-CertopsCredentialsMarkerPath -InfrastructurePath $InfrastructurePath)
    FlightEnabled = $job.FlightEnabled
    RotationEnabled = $job.RotationEnabled
    JobStatus = $job.JobStatus
}
