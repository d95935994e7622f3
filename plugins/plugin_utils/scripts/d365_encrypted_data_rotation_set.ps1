# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# certops-script: d365_encrypted_data_rotation_set
# "After certificate rotation: Data encryption certificate" (certificate-rotation-on-prem): enables
# the flight and the configuration key of the "Encrypted data rotation system job" in the business
# database (for example AXDB), with the page's own statements. The job then re-encrypts the data
# with the new data-encryption certificate, two hours a day, until it is done; only then may the
# old certificate go. The query text is fixed; only the server and database names are parameters.
# Returns the flight, the key and the job status, as d365_orchestrator_get does.
#
# References (Microsoft Learn):
#   Certificate rotation (D365 on-premises), "After certificate rotation"
#                                      https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/deployment/certificate-rotation-on-prem
#   Invoke-Sqlcmd (module SqlServer)   https://learn.microsoft.com/powershell/module/sqlserver/invoke-sqlcmd
[CmdletBinding(SupportsShouldProcess)]
param (
    # The SQL Server instance (Invoke-Sqlcmd -ServerInstance) and the business database the flight and the key go into.
    [Parameter(Mandatory)]
    [string]
    $SqlServer,

    [Parameter(Mandatory)]
    [string]
    $Database
)

$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

# certops-include: d365_database

$upsert = "IF (EXISTS(SELECT * FROM SYSFLIGHTING WHERE [FLIGHTNAME] = 'EnableEncryptedDataCrawlerRotationTask')) UPDATE SYSFLIGHTING SET [ENABLED] = 1 WHERE [FLIGHTNAME] = 'EnableEncryptedDataCrawlerRotationTask' ELSE INSERT INTO SYSFLIGHTING ([FLIGHTNAME],[ENABLED],[FLIGHTSERVICEID]) VALUES ('EnableEncryptedDataCrawlerRotationTask', 1, 0); IF (EXISTS(SELECT * FROM SECURITYCONFIG WHERE [KEY_] = 'EnableEncryptedDataRotation')) UPDATE SECURITYCONFIG SET [VALUE] = 'True' WHERE [KEY_] = 'EnableEncryptedDataRotation' ELSE INSERT INTO SECURITYCONFIG ([KEY_], [VALUE]) VALUES ('EnableEncryptedDataRotation', 'True')"
if ($PSCmdlet.ShouldProcess("$SqlServer/$Database", 'Enable the encrypted data rotation job')) {
    $null = Invoke-CertopsD365Query -SqlServer $SqlServer -Database $Database -Query $upsert
    $Ansible.Changed = $true
}

# The same values the read script returns (include d365_database).
Get-CertopsEncryptedDataRotation -SqlServer $SqlServer -Database $Database
