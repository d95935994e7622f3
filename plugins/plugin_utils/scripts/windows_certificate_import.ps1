# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: windows_certificate_import
# Stages one certificate with its private key in LocalMachine\My, in one execution: imports it
# from the PFX bytes when the store lacks it, then grants the given accounts read access to the
# private key. Returns the certificate's facts as wfm_host_get reports them, so the controller
# verifies the write from this answer.
# The PFX travels as base64 in a sensitive parameter (a SecureString, never logged), not as a file
# copied first: no copy is left on the server if the run stops, and one execution replaces three
# (copy, import, remove the copy). The controller has read the PFX and knows its thumbprint.
#
# References (Microsoft Learn):
#   X509Certificate2(Byte[], SecureString, X509KeyStorageFlags)
#                                      https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.x509certificate2.-ctor
#   X509KeyStorageFlags (MachineKeySet, PersistKeySet, Exportable)
#                                      https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.x509keystorageflags
#   X509Store.Add                      https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.x509store.add
#   SecureString()                     https://learn.microsoft.com/dotnet/api/system.security.securestring.-ctor
#   NetworkCredential(String, SecureString).Password
#                                      https://learn.microsoft.com/dotnet/api/system.net.networkcredential.-ctor
[CmdletBinding(SupportsShouldProcess)]
param (
    [Parameter(Mandatory)]
    [ValidatePattern('^[0-9A-F]{40}$')]
    [string]
    $Thumbprint,

    # Base64 of the PFX; not needed when the store already holds the certificate with its key.
    [SecureString]
    $Pfx,

    [SecureString]
    $PfxPassword,

    # Accounts to grant read access to the private key (those that lack it, decided on the controller).
    [string[]]
    $Account = @(),

    [bool]
    $Exportable = $false
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: certificate_facts
# certops-include: certificate_key_grant

Function Find-CertopsCertificate {
    param ($Store, [string]$Thumbprint)

    foreach ($candidate in $Store.Certificates) {
        if ($candidate.Thumbprint -eq $Thumbprint) {
            return $candidate
        }
    }
    $null
}

Function Import-CertopsPfx {
    # Machine key set, persisted: the key outlives this session and services can open it.
    $flags = [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]::MachineKeySet -bor [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]::PersistKeySet
    if ($Exportable) {
        $flags = $flags -bor [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]::Exportable
    }
    # A PFX without a password opens with an empty one; a $null argument would make the
    # constructor call ambiguous between its String and SecureString overloads.
    $password = if ($null -eq $PfxPassword) { [System.Security.SecureString]::new() } else { $PfxPassword }
    $bytes = [System.Convert]::FromBase64String([System.Net.NetworkCredential]::new('', $Pfx).Password)
    $imported = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($bytes, $password, $flags)
    if ($imported.Thumbprint -ne $Thumbprint) {
        throw "The PFX holds the certificate with thumbprint '$($imported.Thumbprint)', not '$Thumbprint'."
    }
    $imported
}

$store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', 'LocalMachine')
$store.Open([System.Security.Cryptography.X509Certificates.OpenFlags]::ReadWrite)
try {
    $certificate = Find-CertopsCertificate -Store $store -Thumbprint $Thumbprint
    $import = $null -eq $certificate -or -not $certificate.HasPrivateKey
    if ($import -and $null -eq $Pfx) {
        throw "The certificate with thumbprint '$Thumbprint' is not in Cert:\LocalMachine\My with its private key, and no PFX was given."
    }
    if ($import -and $PSCmdlet.ShouldProcess("Cert:\LocalMachine\My", "Import certificate $Thumbprint with its private key")) {
        $certificate = Import-CertopsPfx
        $store.Add($certificate)
        $Ansible.Changed = $true
    }
}
finally {
    $store.Close()
}

if ($null -ne $certificate -and $Account.Count -gt 0 -and $PSCmdlet.ShouldProcess($Thumbprint, "Grant Read on the private key to $($Account -join ', ')")) {
    $file = Get-CertopsKeyFile -Key (Get-CertopsPrivateKey -Certificate $certificate)
    Grant-CertopsKeyRead -Path $file.Path -Account $Account
    $Ansible.Changed = $true
}

if ($null -ne $certificate) {
    ConvertTo-CertopsCertificateFact -Certificate $certificate -StoreLocation 'LocalMachine' -StoreName 'My' -Readers
}
