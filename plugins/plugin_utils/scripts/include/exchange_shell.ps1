# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Include fragment (not a script of its own): the Exchange Management Shell of the server the
# script runs on, reached the way Exchange's own shortcut reaches it: the local RemoteExchange.ps1
# and Connect-ExchangeServer -Auto, which connects to this server's PowerShell virtual directory.
# As Microsoft's MonitorExchangeAuthCertificate.ps1 (MEAC, microsoft/CSS-Exchange,
# Shared/Confirm-ExchangeShell.ps1; MIT) does, a computer without the Exchange setup registry key is
# not an Exchange server: a shell there would be a remote shell to another server, which the Auth
# certificate work must not run in. The checks are re-implemented here, not copied.
#
# References:
#   Test-Path / Get-ItemProperty      https://learn.microsoft.com/powershell/module/microsoft.powershell.management/test-path
#                                     https://learn.microsoft.com/powershell/module/microsoft.powershell.management/get-itemproperty
#   Exchange Management Shell         https://learn.microsoft.com/powershell/exchange/exchange-management-shell
#   DateTime.ToUniversalTime / ToString("s")
#                                     https://learn.microsoft.com/dotnet/api/system.datetime.touniversaltime

Function Get-CertopsExchangeSetup {
    # What the registry says about Exchange on this computer: the setup key (absent: tools-less or a
    # remote shell), the Edge Transport role key, and the product's major version (15 for 2013-SE).
    $setupKey = 'HKLM:\SOFTWARE\Microsoft\ExchangeServer\v15\Setup'
    $setup = Test-Path -Path $setupKey
    $major = 0
    if ($setup) {
        $major = [int](Get-ItemProperty -Path $setupKey -Name 'MsiProductMajor').MsiProductMajor
    }
    @{ SetupKey = $setup; Edge = Test-Path -Path 'HKLM:\SOFTWARE\Microsoft\ExchangeServer\v15\EdgeTransportRole'; Major = $major }
}

Function Connect-CertopsExchange {
    # Loads the Exchange cmdlets into this runspace; refuses where MEAC refuses.
    $setup = Get-CertopsExchangeSetup
    if (-not $setup.SetupKey) {
        throw "$env:COMPUTERNAME has no Exchange setup registry key: it is not an Exchange server, and a remote shell from here is refused (as MEAC refuses it). Run certops on the Mailbox servers themselves."
    }
    if ($setup.Edge) {
        throw "$env:COMPUTERNAME is an Edge Transport server: the Auth certificate lives on Mailbox servers only."
    }
    Import-Module -Name (Join-Path -Path $env:ExchangeInstallPath -ChildPath 'bin\RemoteExchange.ps1')
    Connect-ExchangeServer -Auto -ClientApplication:ManagementShell
}

Function ConvertTo-CertopsUtcText {
    # A DateTime as ISO 8601 UTC text ("s" is culture-invariant), '' for none.
    param ($Value)

    if ($null -eq $Value) {
        return ''
    }
    ([DateTime]$Value).ToUniversalTime().ToString('s') + 'Z'
}
