# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: windows_certificate_key_access
#
# Reads which accounts may read the private key of one certificate in the machine's Personal
# store, and with -Account grants them read access (the controller has already decided which
# accounts lack it). Workflow Manager signs with its outbound certificate under its RunAs
# account, which therefore needs read access to the key file on every Workflow Manager host.
# ansible.windows.win_certificate_store has no option for the key's ACL.
#
# The key file and its readers come from include/certificate_facts.ps1.
#
# References (Microsoft Learn):
#   X509Store(String, StoreLocation)   https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.x509store.-ctor
[CmdletBinding(SupportsShouldProcess)]
param (
    # Machine keys only: a service account reads LocalMachine\My.
    [ValidateSet('LocalMachine')]
    [string]
    $StoreLocation = 'LocalMachine',

    [Parameter(Mandatory)]
    [ValidatePattern('^[0-9A-F]{40}$')]
    [string]
    $Thumbprint,

    # Accounts to grant; empty means read only.
    [string[]]
    $Account = @(),

    [ValidateSet('Read')]
    [string]
    $Rights = 'Read'
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: certificate_facts
# certops-include: certificate_key_grant

$store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', $StoreLocation)
$store.Open([System.Security.Cryptography.X509Certificates.OpenFlags]::ReadOnly)
try {
    $certificate = $null
    foreach ($candidate in $store.Certificates) {
        if ($candidate.Thumbprint -eq $Thumbprint) {
            $certificate = $candidate
        }
    }
}
finally {
    $store.Close()
}
if ($null -eq $certificate) {
    throw "The certificate with thumbprint '$Thumbprint' was not found in Cert:\$StoreLocation\My."
}
if (-not $certificate.HasPrivateKey) {
    throw "The certificate with thumbprint '$Thumbprint' in Cert:\$StoreLocation\My has no private key."
}

$key = Get-CertopsPrivateKey -Certificate $certificate
if ($null -eq $key) {
    # Neither an RSA nor an ECDSA key: nothing Workflow Manager can sign with.
    throw "The private key of the certificate with thumbprint '$Thumbprint' is neither RSA nor ECDSA."
}
$file = Get-CertopsKeyFile -Key $key
$path = $file.Path

if ($Account.Count -gt 0 -and $PSCmdlet.ShouldProcess($path, "Grant $Rights on the private key of $Thumbprint to $($Account -join ', ')")) {
    Grant-CertopsKeyRead -Path $path -Account $Account
    $Ansible.Changed = $true
}

[PSCustomObject]@{
    StoreLocation = $StoreLocation
    Thumbprint = $Thumbprint
    KeyProvider = $file.Provider
    KeyPath = $path
    Readers = @(Get-CertopsKeyReader -Path $path)
}
