# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: wfm_host_get
# Everything the controller needs from one Workflow Manager host, in one execution: every
# certificate in LocalMachine\My with its private-key facts and the accounts that may read the key
# (Workflow Manager signs under its RunAs account, which needs Read on the key on every host), and,
# when -ServiceUri is given (the farm's first host), the farm's outbound certificate references.
# Data only; the controller decides.
# SupportsShouldProcess only so that win_powershell runs this read in check mode too.
[CmdletBinding(SupportsShouldProcess)]
param (
    [string]
    $ServiceUri = ''
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: certificate_facts
# certops-include: wfm_references

$references = @()
if ($ServiceUri) {
    # Module of the WF cmdlets installed by Workflow Manager 1.0.
    # https://learn.microsoft.com/powershell/module/microsoft.powershell.core/import-module
    Import-Module -Name WorkflowManager
    $references = @(Get-CertopsOutboundReference -ServiceUri $ServiceUri)
}

[PSCustomObject]@{
    ServiceUri = $ServiceUri
    References = $references
    Certificates = @(Get-CertopsMachineStoreFact -StoreName 'My' -Readers)
}
