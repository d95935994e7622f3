# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Include fragment (not a script of its own): Workflow Manager's outbound certificate references.
# Never Get-WFFarm: on WFM 1.0 CU3 it keeps showing the previous outbound thumbprint after a
# switch (fixed in CU4), see
# https://learn.microsoft.com/en-us/archive/blogs/feseca/how-to-update-outboundcertificate-in-workflow-manager-and-sharepoint
# The output type of Get-WFOutboundCertificate is not documented (it wraps
# WorkflowServiceManager.GetOutboundCertificateReferences, "returns the outbound certificate
# references"), so every property of every returned object is passed back as text and the
# controller finds the thumbprints; nothing is decided here.

Function Get-CertopsOutboundReference {
    param ([System.Uri]$ServiceUri)

    # https://learn.microsoft.com/en-us/previous-versions/dotnet/workflow-manager/jj729746(v=azure.10)
    foreach ($reference in @(Get-WFOutboundCertificate -ServiceUri $ServiceUri)) {
        $properties = [ordered]@{}
        foreach ($property in $reference.PSObject.Properties) {
            $properties[$property.Name] = [string]$property.Value
        }
        $properties
    }
}
