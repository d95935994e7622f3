# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: sp_trusted_root_authority_set
# The PowerShell equivalent of Central Administration > Security > Manage Trust > (trust
# relationship) > "Root certificate for the trust relationship": applies one change the
# controller decided to a trusted root authority.
#   New    - New-SPTrustedRootAuthority -Name -Certificate
#   Set    - Set-SPTrustedRootAuthority -Identity -Certificate (the "Browse..." of the seed)
#   Remove - Remove-SPTrustedRootAuthority -Identity (cleanup only)
# Why a root authority: Manage Trust edits SPTrustedRootAuthority objects ("root certificate for
# the trust relationship") and, for farms publishing services, SPTrustedServiceTokenIssuer ones
# (https://learn.microsoft.com/sharepoint/administration/exchange-trust-certificates-between-farms);
# Workflow Manager's certificates are added with New-SPTrustedRootAuthority
# (https://learn.microsoft.com/sharepoint/governance/install-workflow-manager-certificates-in-sharepoint-server).
# The certificate arrives as base64 DER (public part only), never as a path on the server.
# In check mode (-WhatIf) nothing is changed.
[CmdletBinding(SupportsShouldProcess)]
param (
    [Parameter(Mandatory)]
    [ValidateSet('New', 'Set', 'Remove')]
    [string]
    $Operation,

    # New: the name of the trust relationship.
    [string]
    $Name = '',

    # Set and Remove: the trust relationship's name or Id.
    [string]
    $Identity = '',

    # New and Set: the certificate, DER encoded, base64.
    [string]
    $Certificate = ''
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# https://learn.microsoft.com/powershell/module/microsoft.powershell.core/add-pssnapin?view=powershell-5.1
Add-PSSnapin -Name Microsoft.SharePoint.PowerShell -ErrorAction SilentlyContinue

$authority = $null
# Only one of Name (New) and Identity (Set, Remove) is set; the message names whichever it is.
if ($PSCmdlet.ShouldProcess("trusted root authority $Name$Identity", $Operation)) {
    switch ($Operation) {
        'New' {
            $root = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new([System.Convert]::FromBase64String($Certificate))
            # https://learn.microsoft.com/powershell/module/sharepoint-server/new-sptrustedrootauthority
            $authority = New-SPTrustedRootAuthority -Name $Name -Certificate $root
        }
        'Set' {
            $root = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new([System.Convert]::FromBase64String($Certificate))
            # https://learn.microsoft.com/powershell/module/microsoft.sharepoint.powershell/set-sptrustedrootauthority
            Set-SPTrustedRootAuthority -Identity $Identity -Certificate $root
            # https://learn.microsoft.com/powershell/module/sharepoint-server/get-sptrustedrootauthority
            $authority = Get-SPTrustedRootAuthority -Identity $Identity
        }
        'Remove' {
            # https://learn.microsoft.com/powershell/module/sharepoint-server/remove-sptrustedrootauthority
            Remove-SPTrustedRootAuthority -Identity $Identity -Confirm:$false
        }
    }
    $Ansible.Changed = $true
}

# After Remove, and in check mode, there is no authority object: its fields come back empty.
[PSCustomObject]@{
    Operation = $Operation
    Changed = [bool]$Ansible.Changed
    Name = [string]$authority.Name
    Id = [string]$authority.Id
    CertificateThumbprint = [string]$authority.Certificate.Thumbprint
}
