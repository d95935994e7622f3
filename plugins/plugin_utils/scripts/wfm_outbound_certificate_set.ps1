# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: wfm_outbound_certificate_set
# Makes one certificate Workflow Manager's current outbound (token-signing) certificate, in the
# vendor's two steps, then reads the references again so the controller can verify:
# https://learn.microsoft.com/en-us/archive/blogs/feseca/how-to-update-outboundcertificate-in-workflow-manager-and-sharepoint
# The controller has already checked that the certificate is on every WFM host with a readable
# private key; in check mode (-WhatIf) nothing is changed and the re-read shows the live state.
[CmdletBinding(SupportsShouldProcess)]
param (
    [Parameter(Mandatory)]
    [System.Uri]
    $ServiceUri,

    [Parameter(Mandatory)]
    [ValidatePattern('^[0-9A-F]{40}$')]
    [string]
    $Thumbprint
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# https://learn.microsoft.com/powershell/module/microsoft.powershell.core/import-module
Import-Module -Name WorkflowManager

# certops-include: wfm_references

if ($PSCmdlet.ShouldProcess([string]$ServiceUri, "Make outbound certificate $Thumbprint current")) {
    # Adds the certificate as the next outbound certificate (WorkflowServiceManager.SetNextOutboundCertificateReference,
    # https://learn.microsoft.com/en-us/previous-versions/dotnet/workflow-manager/dn440858(v=azure.10)).
    Set-WFNextOutboundCertificateReference -Thumbprint $Thumbprint -ServiceUri $ServiceUri
    # Every later outbound message is signed with it (same blog post as above).
    Set-WFNextOutboundCertificateAsCurrent -ServiceUri $ServiceUri
    $Ansible.Changed = $true
}

$references = @(Get-CertopsOutboundReference -ServiceUri $ServiceUri)

[PSCustomObject]@{
    ServiceUri = [string]$ServiceUri
    References = $references
}
