# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Include fragment (not a script of its own): the AD FS properties the rollover depends on, as the
# adfs_* scripts report them. plugin_utils/_scripts.py pastes it in place of the line
# `# certops-include: adfs_properties`.
#
# References (Microsoft Learn):
#   Get-AdfsProperties                 https://learn.microsoft.com/powershell/module/adfs/get-adfsproperties
#   the properties' meaning            https://learn.microsoft.com/powershell/module/adfs/set-adfsproperties

Function Get-CertopsAdfsProperty {
    # The properties that decide the rollover: AutoCertificateRollover and the thresholds (days,
    # each CertificateThresholdMultiplier minutes long), CertificateDuration (days),
    # CertificateRolloverInterval (minutes); Identifier is the issuer Entra knows the farm by.
    $properties = Get-AdfsProperties
    [PSCustomObject]@{
        Identifier = [string]$properties.Identifier
        HostName = [string]$properties.HostName
        AutoCertificateRollover = [bool]$properties.AutoCertificateRollover
        CertificateGenerationThreshold = [int]$properties.CertificateGenerationThreshold
        CertificatePromotionThreshold = [int]$properties.CertificatePromotionThreshold
        CertificateCriticalThreshold = [int]$properties.CertificateCriticalThreshold
        CertificateDuration = [int]$properties.CertificateDuration
        CertificateRolloverInterval = [int]$properties.CertificateRolloverInterval
        CertificateThresholdMultiplier = [int]$properties.CertificateThresholdMultiplier
    }
}
