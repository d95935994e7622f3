# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Include fragment (not a script of its own): grant accounts read access to a private key file.
# ansible.windows.win_certificate_store has no option for the key's ACL, and services (Workflow
# Manager's RunAs account, the AD FS service account) read their signing key through it.
#
# References (Microsoft Learn):
#   Get-Acl / Set-Acl                  https://learn.microsoft.com/powershell/module/microsoft.powershell.security/get-acl
#                                      https://learn.microsoft.com/powershell/module/microsoft.powershell.security/set-acl
#   FileSystemAccessRule(String, FileSystemRights, AccessControlType)
#                                      https://learn.microsoft.com/dotnet/api/system.security.accesscontrol.filesystemaccessrule.-ctor
#   FileSystemSecurity.AddAccessRule   https://learn.microsoft.com/dotnet/api/system.security.accesscontrol.filesystemsecurity.addaccessrule

Function Grant-CertopsKeyRead {
    # Adds an Allow Read rule for each account to the key file's ACL (the controller has already
    # decided which accounts lack it).
    param ([string]$Path, [string[]]$Account)

    $acl = Get-Acl -Path $Path
    foreach ($name in $Account) {
        $acl.AddAccessRule([System.Security.AccessControl.FileSystemAccessRule]::new($name, 'Read', 'Allow'))
    }
    Set-Acl -Path $Path -AclObject $acl
}
