# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: adfs_node_get
# Everything the controller needs from one AD FS node, in one execution: the node's role in the WID
# farm (Get-AdfsSyncProperties Role: PrimaryComputer or SecondaryComputer; certificate changes work
# on the primary only), the account the AD FS service runs as, the farm's properties, its
# token-signing and token-decrypting certificates and relying party trusts (each node holds a copy
# of the configuration), and every certificate in LocalMachine\My with the accounts that may read
# its private key (the AD FS service account needs Read on the key of a CA-issued token
# certificate on every node: Windows Server docs "Obtain and configure TS and TD certificates for
# AD FS"). Data only; the controller decides.
# SupportsShouldProcess only so that win_powershell runs this read in check mode too.
#
# References (Microsoft Learn):
#   Get-AdfsSyncProperties             https://learn.microsoft.com/powershell/module/adfs/get-adfssyncproperties
#   Role values PrimaryComputer / SecondaryComputer, PrimaryComputerName
#                                      https://learn.microsoft.com/powershell/module/adfs/set-adfssyncproperties
#   Get-AdfsRelyingPartyTrust          https://learn.microsoft.com/powershell/module/adfs/get-adfsrelyingpartytrust
#   MonitoringEnabled, MetadataUrl (the trust follows the partner's metadata)
#                                      https://learn.microsoft.com/powershell/module/adfs/set-adfsrelyingpartytrust
#   Get-CimInstance, Win32_Service.StartName (the service's account)
#                                      https://learn.microsoft.com/powershell/module/cimcmdlets/get-ciminstance
#                                      https://learn.microsoft.com/windows/win32/cimwin32prov/win32-service
[CmdletBinding(SupportsShouldProcess)]
param ()

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: certificate_facts
# certops-include: adfs_certificates
# certops-include: adfs_properties

# First, so that a host without AD FS fails on the first AD FS cmdlet with "not recognized".
$sync = Get-AdfsSyncProperties
# adfssrv is the AD FS service; a gMSA shows as DOMAIN\name$.
$service = Get-CimInstance -ClassName Win32_Service -Filter "Name='adfssrv'"

$relyingParties = foreach ($trust in Get-AdfsRelyingPartyTrust) {
    [PSCustomObject]@{
        Name = [string]$trust.Name
        Identifier = [string[]]@($trust.Identifier)
        Enabled = [bool]$trust.Enabled
        MonitoringEnabled = [bool]$trust.MonitoringEnabled
        MetadataUrl = [string]$trust.MetadataUrl
    }
}

# https://learn.microsoft.com/dotnet/api/system.security.cryptography.x509certificates.x509store.-ctor
$store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', 'LocalMachine')
$store.Open([System.Security.Cryptography.X509Certificates.OpenFlags]::ReadOnly)
try {
    $certificates = foreach ($certificate in $store.Certificates) {
        ConvertTo-CertopsCertificateFact -Certificate $certificate -StoreLocation 'LocalMachine' -StoreName 'My' -Readers
    }
}
finally {
    $store.Close()
}

[PSCustomObject]@{
    ComputerName = $env:COMPUTERNAME
    SyncRole = [string]$sync.Role
    PrimaryComputerName = [string]$sync.PrimaryComputerName
    ServiceAccount = [string]$service.StartName
    Properties = Get-CertopsAdfsProperty
    AdfsCertificates = @(Get-CertopsAdfsCertificate)
    RelyingParties = @($relyingParties)
    Certificates = @($certificates)
}
