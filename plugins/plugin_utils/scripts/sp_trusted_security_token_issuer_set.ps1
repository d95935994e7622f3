# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: sp_trusted_security_token_issuer_set
# Applies one change the controller decided to SharePoint's trusted security token issuers:
#   New    - create an issuer from public certificate bytes (never a path on the server), then set
#            IsSelfIssuer and save it, as in
#            https://learn.microsoft.com/en-us/archive/blogs/feseca/how-to-update-outboundcertificate-in-workflow-manager-and-sharepoint
#   Update - set IsSelfIssuer on an existing issuer and save it
#   Remove - remove an issuer (cleanup of a retired certificate's trust)
# In check mode (-WhatIf) nothing is changed.
[CmdletBinding(SupportsShouldProcess)]
param (
    [Parameter(Mandatory)]
    [ValidateSet('New', 'Update', 'Remove')]
    [string]
    $Operation,

    # New: the issuer's name.
    [string]
    $Name = '',

    # Update and Remove: the issuer's name or Id.
    [string]
    $Identity = '',

    # New: the signing certificate, DER encoded, base64 (public part only).
    [string]
    $Certificate = '',

    # New: e.g. 00000005-0000-0000-c000-000000000000@*
    [string]
    $RegisteredIssuerName = '',

    # New and Update: true for Workflow Manager's auto-generated certificate, false for your own.
    [bool]
    $IsSelfIssuer = $false
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# https://learn.microsoft.com/powershell/module/microsoft.powershell.core/add-pssnapin?view=powershell-5.1
Add-PSSnapin -Name Microsoft.SharePoint.PowerShell -ErrorAction SilentlyContinue

$issuer = $null
# Only one of Name (New) and Identity (Update, Remove) is set; the message names whichever it is.
if ($PSCmdlet.ShouldProcess("trusted security token issuer $Name$Identity", $Operation)) {
    switch ($Operation) {
        'New' {
            $signing = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new([System.Convert]::FromBase64String($Certificate))
            # https://learn.microsoft.com/powershell/module/sharepoint-server/new-sptrustedsecuritytokenissuer
            $issuer = New-SPTrustedSecurityTokenIssuer -Name $Name -Certificate $signing -RegisteredIssuerName $RegisteredIssuerName
            $issuer.IsSelfIssuer = $IsSelfIssuer
            $issuer.Update()
        }
        'Update' {
            # https://learn.microsoft.com/powershell/module/sharepoint-server/get-sptrustedsecuritytokenissuer
            $issuer = Get-SPTrustedSecurityTokenIssuer -Identity $Identity
            $issuer.IsSelfIssuer = $IsSelfIssuer
            $issuer.Update()
        }
        'Remove' {
            # https://learn.microsoft.com/powershell/module/sharepoint-server/remove-sptrustedsecuritytokenissuer
            Remove-SPTrustedSecurityTokenIssuer -Identity $Identity -Confirm:$false
        }
    }
    $Ansible.Changed = $true
}

# After Remove, and in check mode, there is no issuer object: its fields come back empty.
[PSCustomObject]@{
    Operation = $Operation
    Changed = [bool]$Ansible.Changed
    Name = [string]$issuer.Name
    Id = [string]$issuer.Id
    RegisteredIssuerName = [string]$issuer.RegisteredIssuerName
    IsSelfIssuer = [bool]$issuer.IsSelfIssuer
    SigningCertificateThumbprint = [string]$issuer.SigningCertificate.Thumbprint
}
