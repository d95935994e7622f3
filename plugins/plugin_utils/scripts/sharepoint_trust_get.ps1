# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: sharepoint_trust_get
# Everything the controller needs from one SharePoint server about the farm's trusts, in one
# execution: which farm the server belongs to (servers of several farms may share an inventory
# group), the farm's authentication realm, its trusted security token issuers (server-to-server
# trusts, among them the one for Workflow Manager, 00000005-0000-0000-c000-000000000000@<realm or
# *>), and its trusted root authorities (Central Administration > Security > Manage Trust).
# Data only; the controller decides which issuer matters.
# SupportsShouldProcess only so that win_powershell runs this read in check mode too.
[CmdletBinding(SupportsShouldProcess)]
param ()

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# SharePoint 2013-2019 ship their cmdlets as a snap-in; it may already be loaded in this runspace.
# https://learn.microsoft.com/powershell/module/microsoft.powershell.core/add-pssnapin?view=powershell-5.1
Add-PSSnapin -Name Microsoft.SharePoint.PowerShell -ErrorAction SilentlyContinue

# https://learn.microsoft.com/powershell/module/sharepoint-server/get-sptrustedsecuritytokenissuer
$issuers = foreach ($issuer in @(Get-SPTrustedSecurityTokenIssuer)) {
    $certificate = $issuer.SigningCertificate
    [PSCustomObject]@{
        Name = $issuer.Name
        Id = [string]$issuer.Id
        RegisteredIssuerName = [string]$issuer.RegisteredIssuerName
        IsSelfIssuer = [bool]$issuer.IsSelfIssuer
        MetadataEndPoint = [string]$issuer.MetadataEndPoint
        # An issuer registered from a metadata endpoint has no certificate until the feed is read.
        SigningCertificateThumbprint = [string]$certificate.Thumbprint
        SigningCertificate = if ($certificate) { [System.Convert]::ToBase64String($certificate.RawData) } else { '' }
    }
}

# https://learn.microsoft.com/powershell/module/sharepoint-server/get-sptrustedrootauthority
$authorities = foreach ($authority in @(Get-SPTrustedRootAuthority)) {
    [PSCustomObject]@{
        Name = $authority.Name
        Id = [string]$authority.Id
        CertificateThumbprint = [string]$authority.Certificate.Thumbprint
        Certificate = [System.Convert]::ToBase64String($authority.Certificate.RawData)
    }
}

[PSCustomObject]@{
    # https://learn.microsoft.com/powershell/module/sharepoint-server/get-spfarm
    FarmId = [string](Get-SPFarm).Id
    # https://learn.microsoft.com/powershell/module/sharepoint-server/get-spauthenticationrealm
    Realm = [string](Get-SPAuthenticationRealm)
    Issuers = @($issuers)
    Authorities = @($authorities)
}
