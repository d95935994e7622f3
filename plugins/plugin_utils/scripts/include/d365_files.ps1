# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Include fragment: the D365 on-premises files the rotation reads and writes, as text. The
# controller parses and transforms them (JSON, XML); the scripts only move text, and check that a
# JSON document is JSON before writing it over a working file.
# certops keeps a small marker file beside a file whose change cannot be read back from the file
# itself (LocalAgentCLI.exe Cleanup has run; Credentials.json was re-encrypted), so that a run that
# stopped half way knows what is left to do.
#
# References (Microsoft Learn):
#   Test-Path, Get-Content -Raw, Set-Content
#                                      https://learn.microsoft.com/powershell/module/microsoft.powershell.management/test-path
#                                      https://learn.microsoft.com/powershell/module/microsoft.powershell.management/get-content
#                                      https://learn.microsoft.com/powershell/module/microsoft.powershell.management/set-content
#   Join-Path                          https://learn.microsoft.com/powershell/module/microsoft.powershell.management/join-path

Function Read-CertopsText {
    # The file's text, or '' when the path is empty or the file does not exist.
    param ([string]$Path)

    if ($Path -and (Test-Path -Path $Path)) {
        return [string](Get-Content -Path $Path -Raw)
    }
    ''
}

Function Write-CertopsJson {
    param ([string]$Path, [string]$Content)

    $null = ConvertFrom-Json -InputObject $Content
    Set-Content -Path $Path -Value $Content -Encoding UTF8
}

Function Get-CertopsCleanupMarkerPath {
    # Beside localagent-config.json: the thumbprints LocalAgentCLI.exe Cleanup last ran with.
    param ([string]$LocalAgentConfigPath)

    $LocalAgentConfigPath + '.certops'
}

Function Get-CertopsCredentialsMarkerPath {
    # Beside Credentials.json: the axdataencipherment thumbprint it was last re-encrypted with.
    param ([string]$InfrastructurePath)

    Join-Path -Path $InfrastructurePath -ChildPath 'Credentials.json.certops'
}
