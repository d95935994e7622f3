# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: d365_environment_get
# The D365 Finance + Operations on-premises pieces of a certificate rotation, read from one
# Orchestrator node in one execution (certificate-rotation-on-prem):
# - ConfigTemplate.xml of the Infrastructure scripts (the new thumbprints; Configure-CredentialsJson.ps1 reads it)
#   and, when given, the old one (InfrastructureOld, named by the page's first step: the old thumbprints);
# - localagent-config.json (serviceFabric.certificateSettings) and the LocalAgent version, which
#   decides whether config.json on the agent share must be edited too (LocalAgent 3.2.2 and older);
# - config.json on the agent share, when its path is given;
# - what certops recorded of the LocalAgent clean-up and the Credentials.json rotation;
# - the business database rows that enable the "Encrypted data rotation system job", and the job.
# Data only: the controller parses and decides.
#
# References (Microsoft Learn):
#   Certificate rotation (D365 on-premises)
#                                      https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/deployment/certificate-rotation-on-prem
#   Get-Item, FileVersionInfo          https://learn.microsoft.com/powershell/module/microsoft.powershell.management/get-item
#   Join-Path                          https://learn.microsoft.com/powershell/module/microsoft.powershell.management/join-path
#   Invoke-Sqlcmd (module SqlServer)   https://learn.microsoft.com/powershell/module/sqlserver/invoke-sqlcmd
[CmdletBinding(SupportsShouldProcess)]
param (
    [Parameter(Mandatory)]
    [string]
    $InfrastructurePath,

    # The Infrastructure folder of the previous rotation (InfrastructureOld): its ConfigTemplate.xml names the old certificates.
    [string]
    $OldInfrastructurePath = '',

    [Parameter(Mandatory)]
    [string]
    $LocalAgentConfigPath,

    [Parameter(Mandatory)]
    [string]
    $LocalAgentCliPath,

    [string]
    $AgentShareConfigPath = '',

    [Parameter(Mandatory)]
    [string]
    $SqlServer,

    [Parameter(Mandatory)]
    [string]
    $Database
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: d365_files

Function Get-CertopsScalar {
    # One value of a fixed query against the business database; $null when there is no row.
    param ([string]$Query)

    $row = Invoke-Sqlcmd -ServerInstance $SqlServer -Database $Database -Query $Query
    if ($null -eq $row) {
        return $null
    }
    [string]@($row)[0].Value
}

Import-Module -Name SqlServer
$cli = Join-Path -Path $LocalAgentCliPath -ChildPath 'LocalAgentCLI.exe'

[PSCustomObject]@{
    ConfigTemplate = Read-CertopsText -Path (Join-Path -Path $InfrastructurePath -ChildPath 'ConfigTemplate.xml')
    OldConfigTemplate = if ($OldInfrastructurePath) { Read-CertopsText -Path (Join-Path -Path $OldInfrastructurePath -ChildPath 'ConfigTemplate.xml') } else { '' }
    LocalAgentConfig = Read-CertopsText -Path $LocalAgentConfigPath
    LocalAgentCleanup = Read-CertopsText -Path ($LocalAgentConfigPath + '.certops')
    LocalAgentVersion = [string](Get-Item -Path $cli).VersionInfo.FileVersion
    AgentShareConfig = Read-CertopsText -Path $AgentShareConfigPath
    CredentialsRotatedTo = Read-CertopsText -Path (Join-Path -Path $InfrastructurePath -ChildPath 'Credentials.json.certops')
    FlightEnabled = Get-CertopsScalar -Query "SELECT ENABLED AS Value FROM SYSFLIGHTING WHERE FLIGHTNAME = 'EnableEncryptedDataCrawlerRotationTask'"
    RotationEnabled = Get-CertopsScalar -Query "SELECT VALUE AS Value FROM SECURITYCONFIG WHERE KEY_ = 'EnableEncryptedDataRotation'"
    JobStatus = Get-CertopsScalar -Query "SELECT TOP 1 STATUS AS Value FROM BATCHJOB WHERE CAPTION = 'Encrypted data rotation system job' ORDER BY RECID DESC"
}
