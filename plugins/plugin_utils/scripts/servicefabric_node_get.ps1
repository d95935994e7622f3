# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: servicefabric_node_get
# What one Service Fabric node of a D365 on-premises cluster holds, in one execution: every
# certificate in LocalMachine\My with its private-key facts and the accounts that may read the key
# (the cluster, the AOS and the LocalAgent run under service accounts that need Read on the keys,
# which is what the Infrastructure scripts' Configure-PreReqs.ps1 sets up). Data only.
# SupportsShouldProcess only so that win_powershell runs this read in check mode too.
#
# The Orchestrator node the rotation runs from reads the same and more in one execution
# (d365_orchestrator_get.ps1).
#
# References (Microsoft Learn):
#   Certificate rotation (D365 on-premises), "Preparation steps"
#                                      https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/deployment/certificate-rotation-on-prem
[CmdletBinding(SupportsShouldProcess)]
param ()

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: certificate_facts

[PSCustomObject]@{
    ComputerName = $env:COMPUTERNAME
    Certificates = @(Get-CertopsMachineStoreFact -StoreName 'My' -Readers)
}
