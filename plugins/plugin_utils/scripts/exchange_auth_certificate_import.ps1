# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: exchange_auth_certificate_import
# Repairs one server that lacks an Auth certificate, from a server that has it (this one): exports
# the certificate with its private key and imports it on -Server, through Exchange's own cmdlets,
# in one execution. This is MEAC's repair (CSS-Exchange PR #1658, issue #1662: import a valid Auth
# certificate where it is missing instead of creating a new one), re-implemented here.
# The PFX never touches a disk: Export-ExchangeCertificate returns its bytes (FileData) and
# Import-ExchangeCertificate takes them. Its password is random, made on the controller for this
# run only, and arrives as a SecureString (a win_powershell sensitive parameter, never logged).
# The imported key stays exportable, so that any server can repair another later.
# Then the target is read back: the answer says whether it holds the certificate now.
# In check mode nothing is exported or imported.
#
# References (Microsoft Learn):
#   Export-ExchangeCertificate  https://learn.microsoft.com/powershell/module/exchangepowershell/export-exchangecertificate
#   Import-ExchangeCertificate  https://learn.microsoft.com/powershell/module/exchangepowershell/import-exchangecertificate
#   Get-ExchangeCertificate     https://learn.microsoft.com/powershell/module/exchangepowershell/get-exchangecertificate
[CmdletBinding(SupportsShouldProcess)]
param (
    [Parameter(Mandatory)]
    [ValidatePattern('^[0-9A-F]{40}$')]
    [string]
    $Thumbprint,

    # The Exchange server that lacks the certificate (name or FQDN).
    [Parameter(Mandatory)]
    [ValidateNotNullOrEmpty()]
    [string]
    $Server,

    [Parameter(Mandatory)]
    [SecureString]
    $PfxPassword
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: exchange_shell

Connect-CertopsExchange
if ($PSCmdlet.ShouldProcess($Server, "Import Auth certificate $Thumbprint exported from $env:COMPUTERNAME")) {
    $export = Export-ExchangeCertificate -Thumbprint $Thumbprint -BinaryEncoded -Password $PfxPassword
    $null = Import-ExchangeCertificate -Server $Server -FileData $export.FileData -Password $PfxPassword -PrivateKeyExportable $true
    $export = $null
    $Ansible.Changed = $true
}

$found = @(Get-ExchangeCertificate -Server $Server -Thumbprint $Thumbprint)
[PSCustomObject]@{
    Thumbprint = $Thumbprint
    Source = $env:COMPUTERNAME
    Server = $Server
    Present = $found.Count -gt 0
}
