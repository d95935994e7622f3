# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: sp_trusted_root_authority_get
# Lists SharePoint's trusted root authorities: the "Root certificate for the trust relationship"
# entries that Central Administration shows under Security > Manage Trust. The seed's step "open
# the trust relationship for 00000005-0000-0000-c000-000000000000 and browse to the new
# certificate" edits one of these. Data only; the controller decides.
# SupportsShouldProcess only so that win_powershell runs this read in check mode too.
[CmdletBinding(SupportsShouldProcess)]
param ()

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# https://learn.microsoft.com/powershell/module/microsoft.powershell.core/add-pssnapin?view=powershell-5.1
Add-PSSnapin -Name Microsoft.SharePoint.PowerShell -ErrorAction SilentlyContinue

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
    Authorities = @($authorities)
}
