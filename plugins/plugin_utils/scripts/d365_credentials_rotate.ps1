# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: d365_credentials_rotate
# "Rotate Credentials.json" (certificate-rotation-on-prem), on an AOS node, as the page says:
#   .\Configure-CredentialsJson.ps1 -ConfigurationFilePath .\ConfigTemplate.xml -Action Rotate
# re-encrypts Credentials.json with the axdataencipherment certificate that ConfigTemplate.xml names
# (the controller checked it is the new one). The file does not say which certificate encrypted
# it, so certops records the thumbprint in Credentials.json.certops beside it.
#
# References (Microsoft Learn):
#   Certificate rotation (D365 on-premises), "Rotate Credentials.json"
#                                      https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/deployment/certificate-rotation-on-prem
[CmdletBinding(SupportsShouldProcess)]
param (
    # The Infrastructure scripts folder: ConfigTemplate.xml, Configure-CredentialsJson.ps1, Credentials.json.
    [Parameter(Mandatory)]
    [string]
    $InfrastructurePath,

    # The new axdataencipherment certificate ConfigTemplate.xml names, recorded beside Credentials.json once it is rotated.
    [Parameter(Mandatory)]
    [ValidatePattern('^[0-9A-F]{40}$')]
    [string]
    $Thumbprint
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: d365_files

$marker = Get-CertopsCredentialsMarkerPath -InfrastructurePath $InfrastructurePath
if ($PSCmdlet.ShouldProcess((Join-Path -Path $InfrastructurePath -ChildPath 'Credentials.json'), "Re-encrypt with $Thumbprint")) {
    Push-Location -Path $InfrastructurePath
    try {
        .\Configure-CredentialsJson.ps1 -ConfigurationFilePath .\ConfigTemplate.xml -Action Rotate
    }
    finally {
        Pop-Location
    }
    Set-Content -Path $marker -Value $Thumbprint -Encoding UTF8
    $Ansible.Changed = $true
}

[PSCustomObject]@{
    CredentialsRotatedTo = Read-CertopsText -Path $marker
}
