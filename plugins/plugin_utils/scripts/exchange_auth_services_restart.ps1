# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: exchange_auth_services_restart
# Makes this server use the Auth certificate AuthConfig now names: restarts MSExchangeServiceHost
# (it runs the AuthAdmin servicelet) and recycles the OWA and ECP app pools, which sign OAuth
# tokens with the certificate they loaded at start ("You can't access OWA or ECP after you install
# Exchange Server 2016 CU6", KB: Restart-WebAppPool MSExchangeOWAAppPool / MSExchangeECPAppPool
# instead of a full iisreset). One server at a time: the controller runs this behind a health gate
# (Test-OAuthConnectivity and the OWA/ECP health pages) before it moves to the next server.
# The answer gives the new start times, the shape of exchange_auth_get's.
# In check mode nothing is restarted.
#
# References (Microsoft Learn):
#   Restart-Service     https://learn.microsoft.com/powershell/module/microsoft.powershell.management/restart-service
#   Restart-WebAppPool  https://learn.microsoft.com/powershell/module/webadministration/restart-webapppool
#   Import-Module       https://learn.microsoft.com/powershell/module/microsoft.powershell.core/import-module
[CmdletBinding(SupportsShouldProcess)]
param ()

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: exchange_shell
# certops-include: exchange_processes

if ($PSCmdlet.ShouldProcess($env:COMPUTERNAME, 'Restart MSExchangeServiceHost, recycle MSExchangeOWAAppPool and MSExchangeECPAppPool')) {
    Restart-Service -Name 'MSExchangeServiceHost'
    Import-Module -Name WebAdministration
    Restart-WebAppPool -Name 'MSExchangeOWAAppPool'
    Restart-WebAppPool -Name 'MSExchangeECPAppPool'
    $Ansible.Changed = $true
}

$serviceHost = Get-CertopsServiceHost
[PSCustomObject]@{
    ComputerName = $env:COMPUTERNAME
    ServiceHostStatus = $serviceHost.Status
    ServiceHostStartedUtc = $serviceHost.StartedUtc
    AppPools = @(Get-CertopsAppPoolStart)
}
