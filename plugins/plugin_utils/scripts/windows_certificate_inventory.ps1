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
#   about_Functions_CmdletBindingAttribute (SupportsShouldProcess)
#                                      https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_functions_cmdletbindingattribute
# The certificate and key facts come from include/certificate_facts.ps1 (and its references).

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

# certops-include: certificate_facts

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
                ConvertTo-CertopsCertificateFact -Certificate $certificate -StoreLocation $location -StoreName $name
            }
        }
        finally {
            $store.Close()
        }
    }
}
