# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: exchange_auth_get
# Everything the controller needs from one Exchange server about the Auth (OAuth) certificate, in
# one execution: what the registry says about Exchange here (a server without the setup key is a
# remote shell, refused as MEAC refuses it), the organisation's AuthConfig, whether a hybrid
# configuration exists, the organisation's Exchange servers (so that none is forgotten), every
# certificate of LocalMachine\My with its key provider (CSP or CNG), exportability and the Exchange
# services it is enabled for, the SMTP default (internal transport) certificate, and when
# MSExchangeServiceHost and the OWA/ECP app pools last started. With -Probe (verify and health
# gates) it also runs the functional checks: Test-OAuthConnectivity against this server's EWS (and
# Exchange Online's, in hybrid) and the OWA/ECP health pages. Data only; the controller decides.
#
# Certificates are read from the store, not from Get-ExchangeCertificate objects: an expired Auth
# certificate breaks the serialization of Exchange cmdlet output (CSS-Exchange PR #1448), and the
# raw certificate data always reads. Get-ExchangeCertificate only adds the Services of each.
#
# References (Microsoft Learn):
#   Get-ExchangeServer        https://learn.microsoft.com/powershell/module/exchangepowershell/get-exchangeserver
#   Get-AuthConfig            https://learn.microsoft.com/powershell/module/exchangepowershell/get-authconfig
#   Get-HybridConfiguration   https://learn.microsoft.com/powershell/module/exchangepowershell/get-hybridconfiguration
#   Get-ExchangeCertificate   https://learn.microsoft.com/powershell/module/exchangepowershell/get-exchangecertificate
#   Get-TransportService      https://learn.microsoft.com/powershell/module/exchangepowershell/get-transportservice
#   Test-OAuthConnectivity    https://learn.microsoft.com/powershell/module/exchangepowershell/test-oauthconnectivity
#   Invoke-WebRequest         https://learn.microsoft.com/powershell/module/microsoft.powershell.utility/invoke-webrequest
# SupportsShouldProcess only so that win_powershell runs this read in check mode too.
[CmdletBinding(SupportsShouldProcess)]
param (
    # Run the functional probes (verify and health gates only: they take seconds on a real server).
    [switch]
    $Probe,

    # Test-OAuthConnectivity -Mailbox; empty tests as the application (-AppOnly).
    [string]
    $Mailbox = '',

    # Hybrid: Exchange Online's EWS, e.g. https://outlook.office365.com/ews/exchange.asmx; empty skips that probe.
    [string]
    $ExchangeOnlineUri = ''
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: exchange_shell
# certops-include: exchange_processes
# certops-include: certificate_facts
# Certificates come from Get-CertopsMachineStoreFact (certificate_facts); Get-ExchangeCertificate adds
# only the Exchange services each is enabled for (CertificateServices, by thumbprint).

Function Get-CertopsServerFact {
    param ($Server)

    [PSCustomObject]@{
        Name = [string]$Server.Name
        Fqdn = [string]$Server.Fqdn
        Site = [string]$Server.Site.Name
        AdminDisplayVersion = [string]$Server.AdminDisplayVersion
        IsMailboxServer = [bool]$Server.IsMailboxServer
        IsClientAccessServer = [bool]$Server.IsClientAccessServer
        IsEdgeServer = [bool]$Server.IsEdgeServer
    }
}

Function Get-CertopsAuthConfig {
    $auth = Get-AuthConfig
    [PSCustomObject]@{
        CurrentCertificateThumbprint = [string]$auth.CurrentCertificateThumbprint
        NextCertificateThumbprint = [string]$auth.NextCertificateThumbprint
        NextCertificateEffectiveDate = ConvertTo-CertopsUtcText -Value $auth.NextCertificateEffectiveDate
        PreviousCertificateThumbprint = [string]$auth.PreviousCertificateThumbprint
        WhenChangedUTC = ConvertTo-CertopsUtcText -Value $auth.WhenChangedUTC
    }
}

Function Get-CertopsWebStatus {
    # The HTTP status of a health page; 0 when there is no HTTP answer at all.
    param ([string]$Uri)

    try {
        [int](Invoke-WebRequest -Uri $Uri -UseBasicParsing -TimeoutSec 30).StatusCode
    }
    catch {
        if ($_.Exception.Response) { [int]$_.Exception.Response.StatusCode } else { 0 }
    }
}

Function Test-CertopsOAuth {
    # Test-OAuthConnectivity's ResultType and its detail, as the mailbox or as the application.
    param ([string]$TargetUri)

    if ($Mailbox) {
        $test = Test-OAuthConnectivity -Service EWS -TargetUri $TargetUri -Mailbox $Mailbox
    }
    else {
        $test = Test-OAuthConnectivity -Service EWS -TargetUri $TargetUri -AppOnly
    }
    @{ Result = [string]$test.ResultType; Detail = [string]$test.Detail }
}

$setup = Get-CertopsExchangeSetup
$exchange = $null
$auth = $null
$hybrid = $false
$organisation = @()
$certificates = @()
$services = @{}
$transport = ''
$serviceHost = @{ Status = ''; StartedUtc = '' }
$pools = @()
$probes = @{ OwaStatus = $null; EcpStatus = $null; OAuthEws = ''; OAuthEwsDetail = ''; OAuthExchangeOnline = ''; OAuthExchangeOnlineDetail = '' }

if ($setup.SetupKey -and -not $setup.Edge) {
    Connect-CertopsExchange
    $exchange = Get-CertopsServerFact -Server (Get-ExchangeServer -Identity $env:COMPUTERNAME)
    $auth = Get-CertopsAuthConfig
    $hybrid = $null -ne (Get-HybridConfiguration)
    $organisation = foreach ($server in @(Get-ExchangeServer)) { Get-CertopsServerFact -Server $server }
    foreach ($item in @(Get-ExchangeCertificate -Server $env:COMPUTERNAME)) {
        $services[[string]$item.Thumbprint] = [string]$item.Services
    }
    $certificates = @(Get-CertopsMachineStoreFact)
    $transport = [string](Get-TransportService -Identity $env:COMPUTERNAME).InternalTransportCertificateThumbprint
    $serviceHost = Get-CertopsServiceHost
    $pools = @(Get-CertopsAppPoolStart)
    if ($Probe) {
        $ews = Test-CertopsOAuth -TargetUri "https://$($exchange.Fqdn)/ews/exchange.asmx"
        $probes.OAuthEws = $ews.Result
        $probes.OAuthEwsDetail = $ews.Detail
        if ($ExchangeOnlineUri) {
            $online = Test-CertopsOAuth -TargetUri $ExchangeOnlineUri
            $probes.OAuthExchangeOnline = $online.Result
            $probes.OAuthExchangeOnlineDetail = $online.Detail
        }
        $probes.OwaStatus = Get-CertopsWebStatus -Uri "https://$($exchange.Fqdn)/owa/healthcheck.htm"
        $probes.EcpStatus = Get-CertopsWebStatus -Uri "https://$($exchange.Fqdn)/ecp/healthcheck.htm"
    }
}

[PSCustomObject]@{
    ComputerName = $env:COMPUTERNAME
    SetupKey = [bool]$setup.SetupKey
    EdgeRole = [bool]$setup.Edge
    ExchangeMajor = [int]$setup.Major
    Now = ConvertTo-CertopsUtcText -Value (Get-Date)
    Server = $exchange
    AuthConfig = $auth
    HybridConfigured = [bool]$hybrid
    OrganisationServers = @($organisation)
    Certificates = $certificates
    CertificateServices = $services
    TransportCertificate = $transport
    ServiceHostStatus = $serviceHost.Status
    ServiceHostStartedUtc = $serviceHost.StartedUtc
    AppPools = $pools
    OwaStatus = $probes.OwaStatus
    EcpStatus = $probes.EcpStatus
    OAuthEws = $probes.OAuthEws
    OAuthEwsDetail = $probes.OAuthEwsDetail
    OAuthExchangeOnline = $probes.OAuthExchangeOnline
    OAuthExchangeOnlineDetail = $probes.OAuthExchangeOnlineDetail
}
