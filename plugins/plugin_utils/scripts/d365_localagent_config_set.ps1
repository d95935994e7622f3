# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: d365_localagent_config_set
# "Update the LocalAgent certificate" (certificate-rotation-on-prem), on one Orchestrator node:
# write localagent-config.json with the new serverCertThumbprint and clientCertThumbprint (the
# controller built the document), then run
#   .\LocalAgentCLI.exe Cleanup <path of localagent-config.json>
# and record that the clean-up ran with these thumbprints (marker file beside the config), so that
# a run that stopped between the two knows the clean-up is still to do.
#
# References (Microsoft Learn):
#   Certificate rotation (D365 on-premises), "Update the LocalAgent certificate"
#                                      https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/deployment/certificate-rotation-on-prem
#   Push-Location, Pop-Location        https://learn.microsoft.com/powershell/module/microsoft.powershell.management/push-location
#   $LASTEXITCODE                      https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_automatic_variables
[CmdletBinding(SupportsShouldProcess)]
param (
    # localagent-config.json on this Orchestrator node.
    [Parameter(Mandatory)]
    [string]
    $LocalAgentConfigPath,

    # The folder of LocalAgentCLI.exe.
    [Parameter(Mandatory)]
    [string]
    $LocalAgentCliPath,

    # The whole localagent-config.json as the controller built it (the new thumbprints in serviceFabric.certificateSettings).
    [Parameter(Mandatory)]
    [string]
    $Content,

    # serverCertThumbprint,clientCertThumbprint the clean-up runs with, recorded in the marker.
    [Parameter(Mandatory)]
    [string]
    $Marker
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: d365_files

$markerPath = Get-CertopsCleanupMarkerPath -LocalAgentConfigPath $LocalAgentConfigPath
$exitCode = $null
if ($PSCmdlet.ShouldProcess($LocalAgentConfigPath, 'Write localagent-config.json and run LocalAgentCLI.exe Cleanup')) {
    Write-CertopsJson -Path $LocalAgentConfigPath -Content $Content
    $Ansible.Changed = $true
    Push-Location -Path $LocalAgentCliPath
    try {
        .\LocalAgentCLI.exe Cleanup $LocalAgentConfigPath
        $exitCode = $LASTEXITCODE
    }
    finally {
        Pop-Location
    }
    if ($exitCode -ne 0) {
        throw "LocalAgentCLI.exe Cleanup exited with $exitCode; see its output above. localagent-config.json holds the new thumbprints."
    }
    Set-Content -Path $markerPath -Value $Marker -Encoding UTF8
}

[PSCustomObject]@{
    LocalAgentConfig = Read-CertopsText -Path $LocalAgentConfigPath
    LocalAgentCleanup = Read-CertopsText -Path $markerPath
    CleanupExitCode = $exitCode
}
