# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: windows_certificate_inventory
#
# Lists the certificates in the chosen stores as data: store, thumbprint, the DER bytes as base64,
# whether a private key is attached and what its key storage says about exporting it. Nothing
# here parses certificate text (subject, SAN or dates): Windows renders those through the
# current locale, so the controller parses the DER with `cryptography` instead.
# Run by certops.microsoft.certificate_inventory through ansible.windows.win_powershell; every
# value arrives as a `parameters` entry, never as script text.
#
# References (Microsoft Learn):
#   X509Store(String, StoreLocation)   https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.x509store.-ctor
#   X509Store.Open / OpenFlags         https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.openflags
#   X509Store.Certificates / Close     https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.x509store.certificates
#   X509Certificate2.RawData           https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.x509certificate2.rawdata
#   X509Certificate2.HasPrivateKey     https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.x509certificate2.hasprivatekey
#   Convert.ToBase64String(Byte[])     https://learn.microsoft.com/dotnet/api/system.convert.tobase64string
#   RSACertificateExtensions.GetRSAPrivateKey
#                                      https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.rsacertificateextensions.getrsaprivatekey
#   ECDsaCertificateExtensions.GetECDsaPrivateKey
#                                      https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.ecdsacertificateextensions.getecdsaprivatekey
#   RSACng.Key / ECDsaCng.Key          https://learn.microsoft.com/dotnet/api/system.security.cryptography.rsacng.key
#   CngKey.ExportPolicy                https://learn.microsoft.com/dotnet/api/system.security.cryptography.cngkey.exportpolicy
#   CngExportPolicies (flags)          https://learn.microsoft.com/dotnet/api/system.security.cryptography.cngexportpolicies
#   ICspAsymmetricAlgorithm.CspKeyContainerInfo
#                                      https://learn.microsoft.com/dotnet/api/system.security.cryptography.icspasymmetricalgorithm.cspkeycontainerinfo
#   CspKeyContainerInfo.Exportable     https://learn.microsoft.com/dotnet/api/system.security.cryptography.cspkeycontainerinfo.exportable
#   Write-Warning                      https://learn.microsoft.com/powershell/module/microsoft.powershell.utility/write-warning
#   about_Functions_CmdletBindingAttribute (SupportsShouldProcess)
#                                      https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_functions_cmdletbindingattribute

# SupportsShouldProcess: win_powershell skips a script in check mode unless it declares it. This
# script only reads, so it is safe to run in check mode and report the real inventory there.
[CmdletBinding(SupportsShouldProcess)]
param (
    [ValidateSet('LocalMachine', 'CurrentUser')]
    [string[]]
    $StoreLocation = @('LocalMachine'),

    [ValidateNotNullOrEmpty()]
    [string[]]
    $StoreName = @('My', 'Root', 'CA'),

    # 40 upper-case hex digits, already normalised on the controller; empty means every certificate.
    [string]
    $Thumbprint = ''
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

Function Get-PrivateKeyFact {
    # A certificate's key lives either in a CNG key storage provider or in a legacy CryptoAPI CSP,
    # and the two record "may this key leave the machine" in different places: CNG in
    # CngKey.ExportPolicy (flags), a CSP in CspKeyContainerInfo.Exportable (bool). A PFX imported
    # by older tools, or by certutil with a CSP named, still lands in a CSP, so both are read.
    # The flags go back as their integer value; the controller decides what they mean.
    param ([System.Security.Cryptography.X509Certificates.X509Certificate2]$Certificate)

    $fact = @{ KeyProvider = $null; CngExportPolicy = $null; CspExportable = $null }
    if (-not $Certificate.HasPrivateKey) {
        return $fact
    }
    try {
        $key = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($Certificate)
        if ($null -eq $key) {
            $key = [System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions]::GetECDsaPrivateKey($Certificate)
        }
    }
    catch {
        # The account running the task may not be allowed to open the key; the certificate is
        # still listed, with its key facts unknown.
        Write-Warning -Message "private key of $($Certificate.Thumbprint) could not be opened: $($_.Exception.Message)"
        return $fact
    }
    if ($key -is [System.Security.Cryptography.ICspAsymmetricAlgorithm]) {
        $fact.KeyProvider = 'CSP'
        $fact.CspExportable = [bool]$key.CspKeyContainerInfo.Exportable
    }
    elseif ($key -is [System.Security.Cryptography.RSACng] -or $key -is [System.Security.Cryptography.ECDsaCng]) {
        $fact.KeyProvider = 'CNG'
        $fact.CngExportPolicy = [int]$key.Key.ExportPolicy
    }
    $fact
}

foreach ($location in $StoreLocation) {
    foreach ($name in $StoreName) {
        # The string overload takes any store name ('CA' has no StoreName enum member), and
        # OpenExistingOnly makes a mistyped name fail instead of creating an empty store.
        $store = [System.Security.Cryptography.X509Certificates.X509Store]::new($name, $location)
        $flags = [System.Security.Cryptography.X509Certificates.OpenFlags]::ReadOnly -bor [System.Security.Cryptography.X509Certificates.OpenFlags]::OpenExistingOnly
        $store.Open($flags)
        try {
            foreach ($certificate in $store.Certificates) {
                if ($Thumbprint -and $certificate.Thumbprint -ne $Thumbprint) {
                    continue
                }
                $key = Get-PrivateKeyFact -Certificate $certificate
                [PSCustomObject]@{
                    StoreLocation = $location
                    StoreName = $name
                    Thumbprint = $certificate.Thumbprint
                    Certificate = [System.Convert]::ToBase64String($certificate.RawData)
                    HasPrivateKey = [bool]$certificate.HasPrivateKey
                    KeyProvider = $key.KeyProvider
                    CngExportPolicy = $key.CngExportPolicy
                    CspExportable = $key.CspExportable
                }
            }
        }
        finally {
            $store.Close()
        }
    }
}
