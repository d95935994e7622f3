# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Include fragment: the business database (for example AXDB) rows of the "Encrypted data rotation
# system job" ("After certificate rotation: Data encryption certificate", certificate-rotation-on-prem):
# the SYSFLIGHTING flight and the SECURITYCONFIG key that enable it, and the job's BATCHJOB status.
# The read script and the script that enables the job return the same three values, so that the
# controller reads them the same way. Every query text is fixed here; only the server and the
# database names arrive, as parameters.
#
# References (Microsoft Learn):
#   Certificate rotation (D365 on-premises), "After certificate rotation"
#                                      https://learn.microsoft.com/dynamics365/fin-ops-core/dev-itpro/deployment/certificate-rotation-on-prem
#   Invoke-Sqlcmd (module SqlServer)   https://learn.microsoft.com/powershell/module/sqlserver/invoke-sqlcmd

Function Invoke-CertopsD365Query {
    # The module SqlServer provides Invoke-Sqlcmd; importing it again is a no-op.
    param ([string]$SqlServer, [string]$Database, [string]$Query)

    Import-Module -Name SqlServer
    Invoke-Sqlcmd -ServerInstance $SqlServer -Database $Database -Query $Query
}

Function Get-CertopsD365Value {
    # The Value column of the query's first row; $null when there is no row.
    param ([string]$SqlServer, [string]$Database, [string]$Query)

    $row = Invoke-CertopsD365Query -SqlServer $SqlServer -Database $Database -Query $Query
    if ($null -eq $row) {
        return $null
    }
    [string]@($row)[0].Value
}

Function Get-CertopsEncryptedDataRotation {
    # ENABLED of the flight (1 when on), VALUE of the key (True when on), and STATUS of the latest run
    # of the job (BatchStatus: 1 waiting ... 4 finished).
    param ([string]$SqlServer, [string]$Database)

    $flight = "SELECT ENABLED AS Value FROM SYSFLIGHTING WHERE FLIGHTNAME = 'EnableEncryptedDataCrawlerRotationTask'"
    $key = "SELECT VALUE AS Value FROM SECURITYCONFIG WHERE KEY_ = 'EnableEncryptedDataRotation'"
    $job = "SELECT TOP 1 STATUS AS Value FROM BATCHJOB WHERE CAPTION = 'Encrypted data rotation system job' ORDER BY RECID DESC"
    [PSCustomObject]@{
        FlightEnabled = Get-CertopsD365Value -SqlServer $SqlServer -Database $Database -Query $flight
        RotationEnabled = Get-CertopsD365Value -SqlServer $SqlServer -Database $Database -Query $key
        JobStatus = Get-CertopsD365Value -SqlServer $SqlServer -Database $Database -Query $job
    }
}
