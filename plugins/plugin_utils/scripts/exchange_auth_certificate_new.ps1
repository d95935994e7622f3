# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: exchange_auth_certificate_new
# Creates one new Exchange Server Auth Certificate on this server, as Microsoft documents it
# (New-ExchangeCertificate -KeySize 2048 -PrivateKeyExportable $true -SubjectName
# "cn=Microsoft Exchange Server Auth Certificate" -FriendlyName "Microsoft Exchange Server Auth
# Certificate" -DomainName @(); reference/products.md §3.1), and never takes over the SMTP default
# certificate: a self-signed certificate enabled for SMTP (the cmdlet's default services are IMAP,
# POP and SMTP) replaces the default SMTP certificate, which is why it is created with -Services None
# and without -Force. As MEAC does, the SMTP default certificate is read before and after, and put
# back with its SMTP service should anything have replaced it. Exchange makes the key in a legacy
# CryptoAPI (CSP) provider; the answer says which provider it got, and the controller refuses a
# CNG/KSP key (the Auth certificate must not use one, CSS-Exchange MEAC; webprofusion/certify#112).
# The new certificate is found in the store as the one that was not there before: the cmdlet's
# own output may not deserialize (CSS-Exchange PR #1448). In check mode nothing is created.
#
# References (Microsoft Learn):
#   New-ExchangeCertificate     https://learn.microsoft.com/powershell/module/exchangepowershell/new-exchangecertificate
#   Enable-ExchangeCertificate  https://learn.microsoft.com/powershell/module/exchangepowershell/enable-exchangecertificate
#   Get-TransportService        https://learn.microsoft.com/powershell/module/exchangepowershell/get-transportservice
[CmdletBinding(SupportsShouldProcess)]
param ()

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: exchange_shell
# certops-include: certificate_facts

Function Get-CertopsTransportThumbprint {
    # The SMTP default (internal transport) certificate of this server.
    [string](Get-TransportService -Identity $env:COMPUTERNAME).InternalTransportCertificateThumbprint
}

Connect-CertopsExchange
$transportBefore = Get-CertopsTransportThumbprint
$before = @(foreach ($fact in @(Get-CertopsMachineStoreFact)) { $fact.Thumbprint })
$created = $null
if ($PSCmdlet.ShouldProcess($env:COMPUTERNAME, 'Create a new Microsoft Exchange Server Auth Certificate (services: none)')) {
    # Its output is not needed (and may not deserialize): the store says what was created.
    $null = New-ExchangeCertificate -KeySize 2048 -PrivateKeyExportable $true -SubjectName 'cn=Microsoft Exchange Server Auth Certificate' -FriendlyName 'Microsoft Exchange Server Auth Certificate' -DomainName @() -Services None
    $Ansible.Changed = $true
    foreach ($fact in @(Get-CertopsMachineStoreFact)) {
        if ($before -notcontains $fact.Thumbprint) {
            $created = $fact
        }
    }
}

$transportAfter = Get-CertopsTransportThumbprint
$restored = $false
if ($transportBefore -and $transportAfter -ne $transportBefore) {
    $null = Enable-ExchangeCertificate -Thumbprint $transportBefore -Services SMTP -Force
    $restored = $true
    $transportAfter = Get-CertopsTransportThumbprint
}

# The new certificate's facts (certificate_facts' shape), none in check mode.
[PSCustomObject]@{
    Created = $created
    TransportBefore = $transportBefore
    TransportAfter = $transportAfter
    TransportRestored = $restored
}
