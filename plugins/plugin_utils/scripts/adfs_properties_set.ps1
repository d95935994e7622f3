# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: adfs_properties_set
# Turns AD FS auto-rollover on or off, on the primary node, then reads the properties again so the
# controller verifies the change. CA-issued token certificates need it off, or AD FS replaces them
# with self-signed ones at its generation threshold (Windows Server docs "Obtain and configure TS and
# TD certificates for AD FS"). In check mode (-WhatIf) nothing changes.
#
# References (Microsoft Learn):
#   Set-AdfsProperties -AutoCertificateRollover
#                                      https://learn.microsoft.com/powershell/module/adfs/set-adfsproperties
[CmdletBinding(SupportsShouldProcess)]
param (
    [Parameter(Mandatory)]
    [bool]
    $AutoCertificateRollover
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: adfs_properties

if ($PSCmdlet.ShouldProcess('AD FS properties', "Set AutoCertificateRollover to $AutoCertificateRollover")) {
    Set-AdfsProperties -AutoCertificateRollover $AutoCertificateRollover -Confirm:$false
    $Ansible.Changed = $true
}

[PSCustomObject]@{
    Changed = [bool]$Ansible.Changed
    Properties = Get-CertopsAdfsProperty
}
