# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Include fragment (not a script of its own): when the processes that use the Auth certificate last
# started. MSExchangeServiceHost runs the AuthAdmin servicelet; the OWA and ECP app pools sign
# OAuth tokens with the certificate they loaded at start. Microsoft's procedure after a new Auth
# certificate is published restarts the one and recycles the others ("You can't access OWA or ECP
# after you install Exchange Server 2016 CU6", KB; "Maintain (rotate) the Exchange Server Auth
# Certificate", Learn), so the controller compares these start times with AuthConfig's WhenChangedUTC
# to know which servers still have to do it. A pool without a worker process starts fresh on the
# next request.
#
# References:
#   Get-CimInstance (Win32_Service, Win32_Process)
#                                     https://learn.microsoft.com/powershell/module/cimcmdlets/get-ciminstance
#   Get-Process (StartTime)           https://learn.microsoft.com/powershell/module/microsoft.powershell.management/get-process

Function Get-CertopsServiceHost {
    $service = Get-CimInstance -ClassName Win32_Service -Filter "Name='MSExchangeServiceHost'"
    $started = ''
    if ($service.ProcessId) {
        $started = ConvertTo-CertopsUtcText -Value (Get-Process -Id $service.ProcessId).StartTime
    }
    @{ Status = [string]$service.State; StartedUtc = $started }
}

Function Get-CertopsAppPoolStart {
    # The newest worker process of each app pool (w3wp.exe -ap "<pool>"), '' when it has none.
    $workers = @(Get-CimInstance -ClassName Win32_Process -Filter "Name='w3wp.exe'")
    foreach ($pool in @('MSExchangeOWAAppPool', 'MSExchangeECPAppPool')) {
        $started = $null
        foreach ($worker in $workers) {
            if ($worker.CommandLine -like "*`"$pool`"*" -and ($null -eq $started -or $worker.CreationDate -gt $started)) {
                $started = $worker.CreationDate
            }
        }
        [PSCustomObject]@{ Name = $pool; StartedUtc = ConvertTo-CertopsUtcText -Value $started }
    }
}
