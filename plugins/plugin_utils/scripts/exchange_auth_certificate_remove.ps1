# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: exchange_auth_certificate_remove
# Cleanup only: removes a retired Auth certificate from this server. The controller plans it only
# after a verified rotation; this script checks again, on the server, what would make the removal
# break something, and refuses then: the certificate is AuthConfig's current or next one, it is the
# SMTP default certificate, or Exchange has it enabled for a service.
# In check mode nothing is removed.
#
# References (Microsoft Learn):
#   Remove-ExchangeCertificate  https://learn.microsoft.com/powershell/module/exchangepowershell/remove-exchangecertificate
#   Get-ExchangeCertificate     https://learn.microsoft.com/powershell/module/exchangepowershell/get-exchangecertificate
#   Get-AuthConfig              https://learn.microsoft.com/powershell/module/exchangepowershell/get-authconfig
#   Get-TransportService        https://learn.microsoft.com/powershell/module/exchangepowershell/get-transportservice
[CmdletBinding(SupportsShouldProcess)]
param (
    [Parameter(Mandatory)]
    [ValidatePattern('^[0-9A-F]{40}$')]
    [string]
    $Thumbprint
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: exchange_shell

Connect-CertopsExchange
$auth = Get-AuthConfig
if ($Thumbprint -eq $auth.CurrentCertificateThumbprint -or $Thumbprint -eq $auth.NextCertificateThumbprint) {
    throw "Certificate $Thumbprint is AuthConfig's current or next Auth certificate; it is not removed."
}
if ($Thumbprint -eq [string](Get-TransportService -Identity $env:COMPUTERNAME).InternalTransportCertificateThumbprint) {
    throw "Certificate $Thumbprint is the SMTP default certificate of $env:COMPUTERNAME; it is not removed."
}
$found = @(Get-ExchangeCertificate -Server $env:COMPUTERNAME -Thumbprint $Thumbprint)
if ($found.Count -gt 0 -and [string]$found[0].Services -ne 'None') {
    throw "Certificate $Thumbprint is enabled for Exchange services ($($found[0].Services)) on $env:COMPUTERNAME; it is not removed."
}

if ($found.Count -gt 0 -and $PSCmdlet.ShouldProcess($env:COMPUTERNAME, "Remove retired Auth certificate $Thumbprint")) {
    Remove-ExchangeCertificate -Thumbprint $Thumbprint -Server $env:COMPUTERNAME -Confirm:$false
    $Ansible.Changed = $true
}

[PSCustomObject]@{
    Thumbprint = $Thumbprint
    ComputerName = $env:COMPUTERNAME
    Removed = [bool]$Ansible.Changed
}
