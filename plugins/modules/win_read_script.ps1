#!powershell
# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

#AnsibleRequires -CSharpUtil Ansible.Basic

# Why this module exists: ansible.windows.win_powershell carries four module utils and 38 KB of
# its own source on every call; a certops read script needs only to run and hand back its
# objects. This runner needs Ansible.Basic alone, like win_ping.
# It keeps win_powershell's contract for what the scripts rely on: $Ansible.Changed/CheckMode,
# parameters splatted by name, -WhatIf in check mode for scripts that declare SupportsShouldProcess
# (others are not run in check mode), warnings kept, output converted to `depth` levels.

$spec = @{
    options = @{
        script = @{ type = 'str'; required = $true }
        parameters = @{ type = 'dict'; default = @{} }
        depth = @{ type = 'int'; default = 2 }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.Result.changed = $false
$module.Result.output = @()

# As win_powershell converts output, for the types certops scripts emit: scalars as themselves (an
# enum as its name, a date as ISO 8601), lists and dictionaries item by item, other objects by
# their properties; past `depth` a container becomes its [string] form.
Function Convert-OutputObject {
    param ($InputObject, [int]$Depth)
    if ($null -eq $InputObject) {
        return $null
    }
    if ($InputObject -is [enum]) {
        return $InputObject.ToString()
    }
    if ($InputObject -is [DateTime]) {
        return $InputObject.ToString('o')
    }
    if ($InputObject -is [string] -or $InputObject -is [ValueType]) {
        # BaseObject: the value without the PSObject wrapper the pipeline may have given it.
        return $InputObject.PSObject.BaseObject
    }
    if ($Depth -lt 0) {
        return [string]$InputObject
    }
    if ($InputObject -is [System.Collections.IDictionary]) {
        $converted = @{}
        foreach ($key in $InputObject.Keys) {
            $converted[[string]$key] = Convert-OutputObject -InputObject $InputObject[$key] -Depth ($Depth - 1)
        }
        return $converted
    }
    if ($InputObject -is [System.Collections.IEnumerable]) {
        return , @(foreach ($item in $InputObject) { Convert-OutputObject -InputObject $item -Depth ($Depth - 1) })
    }
    $converted = @{}
    foreach ($property in $InputObject.PSObject.Properties) {
        $converted[$property.Name] = Convert-OutputObject -InputObject $property.Value -Depth ($Depth - 1)
    }
    return $converted
}

Function Test-SupportsShouldProcess {
    param ([ScriptBlock]$ScriptBlock)
    foreach ($attribute in $ScriptBlock.Ast.ParamBlock.Attributes) {
        if ($attribute.TypeName.GetReflectionType() -ne [System.Management.Automation.CmdletBindingAttribute]) {
            continue
        }
        foreach ($argument in $attribute.NamedArguments) {
            if ($argument.ArgumentName -eq 'SupportsShouldProcess') {
                return [bool]($argument.ExpressionOmitted -or $argument.Argument.SafeGetValue())
            }
        }
    }
    return $false
}

$block = [ScriptBlock]::Create($module.Params.script)
$parameters = @{}
foreach ($name in $module.Params.parameters.Keys) {
    $parameters[$name] = $module.Params.parameters[$name]
}
if ($module.CheckMode) {
    if (-not (Test-SupportsShouldProcess -ScriptBlock $block)) {
        $module.Result.msg = 'skipped, running in check mode'
        $module.ExitJson()
    }
    $parameters.WhatIf = $true
}

# The scripts read and write $Ansible as they do under win_powershell.
$Ansible = [PSCustomObject]@{ Changed = $false; CheckMode = $module.CheckMode; Result = @{}; Diff = @{}; Tmpdir = $module.Tmpdir; Verbosity = $module.Verbosity }
try {
    # 3>&1: warnings join the output here and are told apart below.
    $streamed = @(& $block @parameters 3>&1)
}
catch {
    $module.FailJson("the script failed: $($_.Exception.Message)", $_)
}
$module.Result.changed = [bool]$Ansible.Changed
$module.Result.output = @(foreach ($item in $streamed) {
        if ($item -is [System.Management.Automation.WarningRecord]) {
            $module.Warn($item.Message)
            continue
        }
        Convert-OutputObject -InputObject $item -Depth $module.Params.depth
    })
$module.ExitJson()
