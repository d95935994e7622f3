# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: exchange_authconfig_set
# Applies one change the controller decided to the organisation's AuthConfig, one parameter set of
# Set-AuthConfig each (reference/products.md §3.2), then reads AuthConfig back:
#   Stage         -NewCertificateThumbprint -NewCertificateEffectiveDate: the next certificate and
#                 when the AuthAdmin servicelet publishes it. The controller has checked that the
#                 date is at least 48 hours ahead, so no -Force here: Exchange's own confirmation
#                 for a shorter notice then fails the step rather than being answered blindly.
#                 With -Now (the emergency replace of an expired certificate only) the date is taken
#                 at the call, as Microsoft's procedure does and as MEAC does since it fixed "The
#                 new certificate effective date is invalid" (CSS-Exchange PR #1888), with -Force.
#   Publish       -PublishCertificate: the next certificate becomes current now.
#   ClearPrevious -ClearPreviousCertificate: drops the previous certificate (cleanup only).
# In check mode nothing is changed and the read shows the live configuration.
#
# References (Microsoft Learn):
#   Set-AuthConfig  https://learn.microsoft.com/powershell/module/exchangepowershell/set-authconfig
#   Get-AuthConfig  https://learn.microsoft.com/powershell/module/exchangepowershell/get-authconfig
[CmdletBinding(SupportsShouldProcess)]
param (
    [Parameter(Mandatory)]
    [ValidateSet('Stage', 'Publish', 'ClearPrevious')]
    [string]
    $Operation,

    # Stage: the new certificate.
    [ValidatePattern('^([0-9A-F]{40})?$')]
    [string]
    $Thumbprint = '',

    # Stage: the effective date, ISO 8601 UTC (e.g. 2026-03-01T10:00:00Z).
    [string]
    $EffectiveDate = '',

    # Stage: effective now (emergency replace), instead of EffectiveDate.
    [bool]
    $Now = $false
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: exchange_shell

Connect-CertopsExchange
if ($PSCmdlet.ShouldProcess('AuthConfig', "$Operation $Thumbprint")) {
    switch ($Operation) {
        'Stage' {
            if ($Now) {
                Set-AuthConfig -NewCertificateThumbprint $Thumbprint -NewCertificateEffectiveDate (Get-Date) -Force
            }
            else {
                Set-AuthConfig -NewCertificateThumbprint $Thumbprint -NewCertificateEffectiveDate ([DateTime]$EffectiveDate)
            }
        }
        'Publish' {
            Set-AuthConfig -PublishCertificate -Force
        }
        'ClearPrevious' {
            Set-AuthConfig -ClearPreviousCertificate -Force
        }
    }
    $Ansible.Changed = $true
}

$auth = Get-AuthConfig
[PSCustomObject]@{
    Operation = $Operation
    CurrentCertificateThumbprint = [string]$auth.CurrentCertificateThumbprint
    NextCertificateThumbprint = [string]$auth.NextCertificateThumbprint
    NextCertificateEffectiveDate = ConvertTo-CertopsUtcText -Value $auth.NextCertificateEffectiveDate
    PreviousCertificateThumbprint = [string]$auth.PreviousCertificateThumbprint
}
