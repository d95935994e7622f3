# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: d365_agent_share_config_set
# "Update your current deployment configuration" (certificate-rotation-on-prem): with LocalAgent
# 3.2.2 and older, config.json on the agent share (\\fileserver\agent\wp\<environment>\StandaloneSetup-<n>)
# keeps the old serverCertThumbprint and clientCertThumbprint, and the clean-up job fails. Writes
# the document the controller built. Close any program that holds the share open first.
#
# References (Microsoft Learn):
#   Certificate rotation (D365 on-premises)
#                                      https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/deployment/certificate-rotation-on-prem
[CmdletBinding(SupportsShouldProcess)]
param (
    # config.json under <agent share>\wp\<environment>\StandaloneSetup-<n> (the DeploymentInstanceArtifact query finds it).
    [Parameter(Mandatory)]
    [string]
    $AgentShareConfigPath,

    # The whole config.json as the controller built it (the new serverCertThumbprint and clientCertThumbprint).
    [Parameter(Mandatory)]
    [string]
    $Content
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: d365_files

if ($PSCmdlet.ShouldProcess($AgentShareConfigPath, 'Write config.json')) {
    Write-CertopsJson -Path $AgentShareConfigPath -Content $Content
    $Ansible.Changed = $true
}

[PSCustomObject]@{
    AgentShareConfig = Read-CertopsText -Path $AgentShareConfigPath
}
