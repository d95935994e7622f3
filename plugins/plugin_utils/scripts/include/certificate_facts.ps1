# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Include fragment (not a script of its own): what the certops scripts report about a certificate
# in a Windows store and its private key. plugin_utils/_scripts.py pastes it in place of the line
# `# certops-include: certificate_facts` of the scripts that need it.
#
# References (Microsoft Learn):
#   X509Certificate2.RawData / HasPrivateKey
#                                      https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.x509certificate2
#   RSACertificateExtensions.GetRSAPrivateKey
#                                      https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.rsacertificateextensions.getrsaprivatekey
#   ECDsaCertificateExtensions.GetECDsaPrivateKey
#                                      https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.ecdsacertificateextensions.getecdsaprivatekey
#   RSACng.Key, CngKey.ExportPolicy, CngKey.UniqueName
#                                      https://learn.microsoft.com/dotnet/api/system.security.cryptography.cngkey
#   ICspAsymmetricAlgorithm.CspKeyContainerInfo (Exportable, UniqueKeyContainerName)
#                                      https://learn.microsoft.com/dotnet/api/system.security.cryptography.cspkeycontainerinfo
#   Key storage folders                https://learn.microsoft.com/windows/win32/seccng/key-storage-and-retrieval
#   Get-Acl                            https://learn.microsoft.com/powershell/module/microsoft.powershell.security/get-acl
#   Convert.ToBase64String(Byte[])     https://learn.microsoft.com/dotnet/api/system.convert.tobase64string

Function Get-CertopsPrivateKey {
    # The certificate's private key object, RSA or ECDSA; $null when it has none or it is neither.
    param ([System.Security.Cryptography.X509Certificates.X509Certificate2]$Certificate)

    if (-not $Certificate.HasPrivateKey) {
        return $null
    }
    $key = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($Certificate)
    if ($null -eq $key) {
        $key = [System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions]::GetECDsaPrivateKey($Certificate)
    }
    $key
}

Function Get-CertopsKeyFile {
    # A CNG key lives in %ProgramData%\Microsoft\Crypto\Keys under its UniqueName; a legacy CryptoAPI
    # (CSP) machine key in %ProgramData%\Microsoft\Crypto\RSA\MachineKeys under its
    # UniqueKeyContainerName. Service accounts read the key through that file's ACL.
    param ($Key)

    if ($Key -is [System.Security.Cryptography.ICspAsymmetricAlgorithm]) {
        return @{ Provider = 'CSP'; Path = "$env:ProgramData\Microsoft\Crypto\RSA\MachineKeys\$($Key.CspKeyContainerInfo.UniqueKeyContainerName)" }
    }
    @{ Provider = 'CNG'; Path = "$env:ProgramData\Microsoft\Crypto\Keys\$($Key.Key.UniqueName)" }
}

Function Get-CertopsKeyReader {
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

Function Get-CertopsKeyFact {
    # CNG records "may this key leave the machine" in CngKey.ExportPolicy (flags), a CSP in
    # CspKeyContainerInfo.Exportable (bool); a PFX imported by older tools still lands in a CSP, so
    # both are read and the flags go back as their integer value for the controller to decide.
    # With -Readers, the accounts that may read the key file are listed too.
    param ([System.Security.Cryptography.X509Certificates.X509Certificate2]$Certificate, [switch]$Readers)

    $fact = @{ KeyProvider = $null; CngExportPolicy = $null; CspExportable = $null; KeyReaders = $null }
    try {
        $key = Get-CertopsPrivateKey -Certificate $Certificate
    }
    catch {
        # The account running the task may not be allowed to open the key; the certificate is
        # still listed, with its key facts unknown.
        Write-Warning -Message "private key of $($Certificate.Thumbprint) could not be opened: $($_.Exception.Message)"
        return $fact
    }
    if ($null -eq $key) {
        return $fact
    }
    $file = Get-CertopsKeyFile -Key $key
    $fact.KeyProvider = $file.Provider
    if ($file.Provider -eq 'CSP') {
        $fact.CspExportable = [bool]$key.CspKeyContainerInfo.Exportable
    }
    else {
        $fact.CngExportPolicy = [int]$key.Key.ExportPolicy
    }
    if ($Readers) {
        try {
            $fact.KeyReaders = @(Get-CertopsKeyReader -Path $file.Path)
        }
        catch {
            # A key kept in a user profile is in neither machine key folder.
            Write-Warning -Message "the private key file of $($Certificate.Thumbprint) could not be read: $($_.Exception.Message)"
        }
    }
    $fact
}

Function ConvertTo-CertopsCertificateFact {
    # One certificate as data: where it is, the DER bytes (the controller parses them, never
    # locale-dependent text), private-key presence and the key facts above.
    param (
        [System.Security.Cryptography.X509Certificates.X509Certificate2]$Certificate,
        [string]$StoreLocation,
        [string]$StoreName,
        [switch]$Readers
    )

    $key = Get-CertopsKeyFact -Certificate $Certificate -Readers:$Readers
    [PSCustomObject]@{
        StoreLocation = $StoreLocation
        StoreName = $StoreName
        Thumbprint = $Certificate.Thumbprint
        Certificate = [System.Convert]::ToBase64String($Certificate.RawData)
        HasPrivateKey = [bool]$Certificate.HasPrivateKey
        KeyProvider = $key.KeyProvider
        CngExportPolicy = $key.CngExportPolicy
        CspExportable = $key.CspExportable
        KeyReaders = $key.KeyReaders
    }
}

Function Get-CertopsMachineStoreFact {
    # Every certificate of LocalMachine\<StoreName> as facts, read only.
    param ([string]$StoreName = 'My', [switch]$Readers)

    # https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.x509store.-ctor
    $store = [System.Security.Cryptography.X509Certificates.X509Store]::new($StoreName, 'LocalMachine')
    $store.Open([System.Security.Cryptography.X509Certificates.OpenFlags]::ReadOnly)
    try {
        foreach ($certificate in $store.Certificates) {
            ConvertTo-CertopsCertificateFact -Certificate $certificate -StoreLocation 'LocalMachine' -StoreName $StoreName -Readers:$Readers
        }
    }
    finally {
        $store.Close()
    }
}
