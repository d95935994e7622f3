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
# The key file: a CNG key lives in %ProgramData%\Microsoft\Crypto\Keys under its UniqueName; a
# legacy CryptoAPI (CSP) machine key in %ProgramData%\Microsoft\Crypto\RSA\MachineKeys under its
# UniqueKeyContainerName.
#
# References (Microsoft Learn):
#   X509Store(String, StoreLocation)   https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.x509store.-ctor
#   RSACertificateExtensions.GetRSAPrivateKey
#                                      https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.rsacertificateextensions.getrsaprivatekey
#   ECDsaCertificateExtensions.GetECDsaPrivateKey
#                                      https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.ecdsacertificateextensions.getecdsaprivatekey
#   RSACng.Key, CngKey.UniqueName      https://learn.microsoft.com/dotnet/api/system.security.cryptography.cngkey.uniquename
#   CspKeyContainerInfo.UniqueKeyContainerName
#                                      https://learn.microsoft.com/dotnet/api/system.security.cryptography.cspkeycontainerinfo.uniquekeycontainername
#   Key storage folders                https://learn.microsoft.com/windows/win32/seccng/key-storage-and-retrieval
#   Get-Acl / Set-Acl                  https://learn.microsoft.com/powershell/module/microsoft.powershell.security/get-acl
#                                      https://learn.microsoft.com/powershell/module/microsoft.powershell.security/set-acl
#   FileSystemAccessRule(String, FileSystemRights, AccessControlType)
#                                      https://learn.microsoft.com/dotnet/api/system.security.accesscontrol.filesystemaccessrule.-ctor
#   FileSystemSecurity.AddAccessRule   https://learn.microsoft.com/dotnet/api/system.security.accesscontrol.filesystemsecurity.addaccessrule
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

Function Get-KeyReader {
    # Accounts with an Allow rule that includes every Read bit (Read, ReadAndExecute, Modify,
    # FullControl all do).
    param ([string]$Path)

    $read = [System.Security.AccessControl.FileSystemRights]::Read
    foreach ($rule in (Get-Acl -Path $Path).Access) {
        if ($rule.AccessControlType -eq 'Allow' -and ($rule.FileSystemRights -band $read) -eq $read) {
            [string]$rule.IdentityReference
        }
    }
}

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

$key = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($certificate)
if ($null -eq $key) {
    $key = [System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions]::GetECDsaPrivateKey($certificate)
}
if ($null -eq $key) {
    # Neither an RSA nor an ECDSA key: nothing Workflow Manager can sign with.
    throw "The private key of the certificate with thumbprint '$Thumbprint' is neither RSA nor ECDSA."
}
if ($key -is [System.Security.Cryptography.ICspAsymmetricAlgorithm]) {
    $provider = 'CSP'
    $path = "$env:ProgramData\Microsoft\Crypto\RSA\MachineKeys\$($key.CspKeyContainerInfo.UniqueKeyContainerName)"
}
else {
    $provider = 'CNG'
    $path = "$env:ProgramData\Microsoft\Crypto\Keys\$($key.Key.UniqueName)"
}

if ($Account.Count -gt 0 -and $PSCmdlet.ShouldProcess($path, "Grant $Rights on the private key of $Thumbprint to $($Account -join ', ')")) {
    $acl = Get-Acl -Path $path
    foreach ($name in $Account) {
        $acl.AddAccessRule([System.Security.AccessControl.FileSystemAccessRule]::new($name, $Rights, 'Allow'))
    }
    Set-Acl -Path $path -AclObject $acl
    $Ansible.Changed = $true
}

[PSCustomObject]@{
    StoreLocation = $StoreLocation
    Thumbprint = $Thumbprint
    KeyProvider = $provider
    KeyPath = $path
    Readers = @(Get-KeyReader -Path $path)
}
