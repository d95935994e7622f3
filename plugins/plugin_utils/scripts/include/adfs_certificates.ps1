# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Include fragment (not a script of its own): AD FS's token-signing and token-decrypting
# certificates as the adfs_* scripts report them, so that every certificate write returns what
# adfs_node_get reads and the controller verifies the write from its answer.
# plugin_utils/_scripts.py pastes it in place of the line `# certops-include: adfs_certificates`.
#
# References (Microsoft Learn):
#   Get-AdfsCertificate (returns ServiceCertificate: CertificateType, Thumbprint, IsPrimary, Certificate)
#                                      https://learn.microsoft.com/powershell/module/adfs/get-adfscertificate
#   X509Certificate2.RawData           https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.x509certificate2.rawdata
#   Convert.ToBase64String(Byte[])     https://learn.microsoft.com/dotnet/api/system.convert.tobase64string

Function Get-CertopsAdfsCertificate {
    # Token-signing and token-decrypting certificates, primary and secondary, as data: the DER
    # bytes as base64 (the controller parses them, never locale-dependent text).
    foreach ($certificate in Get-AdfsCertificate -CertificateType 'Token-Signing', 'Token-Decrypting') {
        [PSCustomObject]@{
            CertificateType = [string]$certificate.CertificateType
            Thumbprint = [string]$certificate.Thumbprint
            IsPrimary = [bool]$certificate.IsPrimary
            Certificate = [System.Convert]::ToBase64String($certificate.Certificate.RawData)
        }
    }
}
