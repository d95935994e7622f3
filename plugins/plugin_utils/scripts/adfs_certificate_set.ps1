# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: adfs_certificate_set
# One change to AD FS's token-signing or token-decrypting certificates, on the primary node (the
# controller picked it: on a secondary node these cmdlets fail), then the certificates again so the
# controller verifies the change from this answer:
#   Add      Add-AdfsCertificate: the certificate (in LocalMachine\My with its key) becomes a secondary
#   Promote  Set-AdfsCertificate -IsPrimary: AD FS signs (or decrypts) with it from now on
#   Remove   Remove-AdfsCertificate: a retired, non-primary certificate leaves the configuration
#   Update   Update-AdfsCertificate: with auto-rollover, a new generated certificate; with -Urgent it
#            replaces the primary at once and removes the older ones (emergency rotation only)
# In check mode (-WhatIf) nothing changes and the answer shows the live certificates.
#
# References (Microsoft Learn):
#   Add-AdfsCertificate                https://learn.microsoft.com/powershell/module/adfs/add-adfscertificate
#   Set-AdfsCertificate                https://learn.microsoft.com/powershell/module/adfs/set-adfscertificate
#   Remove-AdfsCertificate             https://learn.microsoft.com/powershell/module/adfs/remove-adfscertificate
#   Update-AdfsCertificate             https://learn.microsoft.com/powershell/module/adfs/update-adfscertificate
#   Microsoft Entra docs "Emergency rotation of the AD FS certificates" (two new certificates)
[CmdletBinding(SupportsShouldProcess)]
param (
    [Parameter(Mandatory)]
    [ValidateSet('Add', 'Promote', 'Remove', 'Update')]
    [string]
    $Operation,

    [Parameter(Mandatory)]
    [ValidateSet('Token-Signing', 'Token-Decrypting')]
    [string]
    $CertificateType,

    # Every operation but Update names the certificate.
    [ValidatePattern('^[0-9A-F]{40}$')]
    [string]
    $Thumbprint,

    [bool]
    $Urgent = $false
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: adfs_certificates

if ($PSCmdlet.ShouldProcess("AD FS $CertificateType certificates", "$Operation $Thumbprint")) {
    # -Confirm:$false: a prompt has nobody to answer it over WinRM.
    switch ($Operation) {
        'Add' { Add-AdfsCertificate -CertificateType $CertificateType -Thumbprint $Thumbprint -Confirm:$false }
        'Promote' { Set-AdfsCertificate -CertificateType $CertificateType -Thumbprint $Thumbprint -IsPrimary -Confirm:$false }
        'Remove' { Remove-AdfsCertificate -CertificateType $CertificateType -Thumbprint $Thumbprint -Confirm:$false }
        'Update' { Update-AdfsCertificate -CertificateType $CertificateType -Urgent:$Urgent -Confirm:$false }
    }
    $Ansible.Changed = $true
}

[PSCustomObject]@{
    Operation = $Operation
    CertificateType = $CertificateType
    Changed = [bool]$Ansible.Changed
    AdfsCertificates = @(Get-CertopsAdfsCertificate)
}
