# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every PowerShell script of the collection parses, and uses only what tests/cmdlet_catalog.yml lists.

No PowerShell runs on our test machines, so this is what stands between a typo in a cmdlet or
parameter name and a failure on a customer's farm: each script is parsed with
tree-sitter-powershell (syntax errors fail with file:line), each command and its parameters, each
static .NET call and each instance method call is matched against the catalog, whose entries cite
Microsoft's reference pages. Scripts must carry the certops marker and build no command from text.
"""
from __future__ import annotations

import pathlib
import re

import pytest
import tree_sitter
import tree_sitter_powershell
import yaml

from ansible_collections.certops.microsoft.plugins.plugin_utils._scripts import load_script, read_source, shipped_script_names

REPO = pathlib.Path(__file__).resolve().parents[2]
CATALOG_PATH = REPO / "tests" / "cmdlet_catalog.yml"
SCRIPT_DIR = REPO / "plugins" / "plugin_utils" / "scripts"
# What reaches a server is the assembled script (include fragments pasted in, comments dropped):
# that text is what is parsed and checked, so a fragment is checked in every script using it.
SCRIPTS = shipped_script_names()
MARKER = re.compile(r"^#\s*certops-script:\s*([a-z0-9_]+)\s*$", re.MULTILINE)
# Ways of running text as code: each defeats "values only through param()".
STRING_BUILT = re.compile(r"Invoke-Expression|\biex\b|&\s*\$|\[scriptblock\]::Create|\.InvokeScript\(|\.AddScript\(", re.IGNORECASE)
REFERENCE = re.compile(r"^https://learn\.microsoft\.com/")
PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def load_catalog(path=CATALOG_PATH):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)


def _line(node):
    return node.start_point[0] + 1


def syntax_errors(tree, label):
    """One message per ERROR or MISSING node, with file:line."""
    return [f"{label}:{_line(node)}: syntax error near {node.text.decode(errors='replace')[:40]!r}"
            for node in _walk(tree.root_node) if node.type == "ERROR" or node.is_missing]


def _lower_set(names):
    return {name.lower() for name in names}


def local_functions(tree):
    """Functions the script defines itself: name -> declared parameter names (lower case)."""
    functions = {}
    for node in _walk(tree.root_node):
        if node.type == "function_statement":
            name = next(child for child in node.children if child.type == "function_name").text.decode()
            params = [var.text.decode()[1:] for var in _walk(node) if var.type == "variable" and var.parent.type == "script_parameter"]
            functions[name.lower()] = _lower_set(params)
    return functions


def _parameter_name(node):
    return node.text.decode().lstrip("-").rstrip(":").split(":")[0]


def command_problems(node, known, common, label):
    """Problems of one `command` node: unknown command, unknown parameter, dynamic command name."""
    name_node = next((child for child in node.children if child.type == "command_name"), None)
    if name_node is None:
        return [f"{label}:{_line(node)}: command name is not a literal: {node.text.decode()[:40]!r}"]
    name = name_node.text.decode()
    allowed = known.get(name.lower())
    if allowed is None:
        return [f"{label}:{_line(node)}: command {name} is not in the catalog"]
    return [f"{label}:{_line(node)}: parameter -{param} of {name} is not in the catalog"
            for param in (_parameter_name(p) for p in _walk(node) if p.type == "command_parameter" and _owner(p).id == node.id)
            if param.lower() not in allowed and param.lower() not in common]


def _owner(parameter_node):
    """The command a parameter belongs to (parameters of nested commands belong to those)."""
    node = parameter_node.parent
    while node.type != "command":
        node = node.parent
    return node


def _type_name(type_literal):
    return type_literal.text.decode().strip("[]")


def invocation_problems(node, catalog, label):
    """Problems of one `$x.Method()` or `[Type]::Member()` call."""
    member = next(child for child in node.children if child.type == "member_name").text.decode()
    target = node.children[0]
    if target.type == "type_literal":
        key = f"{_type_name(target)}::{member}"
        if key not in catalog.get("dotnet_static", {}):
            return [f"{label}:{_line(node)}: .NET call [{_type_name(target)}]::{member} is not in the catalog"]
        return []
    if member not in catalog.get("dotnet_methods", {}):
        return [f"{label}:{_line(node)}: method .{member}() is not in the catalog"]
    return []


def catalog_problems(text, catalog, label="<script>"):
    """Every problem of one script's text against the catalog, as messages."""
    tree = PARSER.parse(text.encode("utf-8"))
    problems = syntax_errors(tree, label)
    if problems:
        return problems
    known = {name.lower(): _lower_set(entry.get("parameters", [])) for name, entry in catalog["cmdlets"].items()}
    known.update(local_functions(tree))
    common = _lower_set(catalog["common_parameters"]["names"])
    for node in _walk(tree.root_node):
        if node.type == "command":
            problems.extend(command_problems(node, known, common, label))
        elif node.type == "invokation_expression":
            problems.extend(invocation_problems(node, catalog, label))
    return problems


def hygiene_problems(text, label="<script>"):
    """The marker is present and no command is built from text."""
    problems = [] if MARKER.search(text) else [f"{label}: no '# certops-script: <name>' marker"]
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.lstrip().startswith("#") and STRING_BUILT.search(line):
            problems.append(f"{label}:{number}: string-built command: {line.strip()[:60]!r}")
    return problems


def test_scripts_exist():
    assert len(SCRIPTS) >= 7, SCRIPTS


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_uses_only_catalogued_commands_and_parameters(name):
    assert catalog_problems(load_script(name), load_catalog(), f"{name} (assembled)") == []


# What a module may use beyond the catalog: Ansible.Basic's API, which Ansible documents (not
# Microsoft: https://docs.ansible.com/ansible/latest/dev_guide/developing_modules_general_windows.html),
# and win_read_script's one call of the script it is given, which is that module's purpose.
MODULE_ALLOWED = (".NET call [Ansible.Basic.AnsibleModule]::Create is not", "method .ExitJson() is not", "method .FailJson() is not",
                  "method .Warn() is not", "command name is not a literal: '& $block @parameters 3>&1'")


@pytest.mark.parametrize("path", sorted((REPO / "plugins" / "modules").glob("*.ps1")), ids=lambda path: path.name)
def test_powershell_module_uses_only_catalogued_commands_and_parameters(path):
    problems = catalog_problems(path.read_text(encoding="utf-8"), load_catalog(), path.name)
    assert [problem for problem in problems if not any(allowed in problem for allowed in MODULE_ALLOWED)] == []


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_has_marker_and_no_string_built_command(name):
    assert hygiene_problems(load_script(name), f"{name} (assembled)") == []


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_marker_matches_file_name(name):
    assert MARKER.search(read_source(name)).group(1) == name


@pytest.mark.parametrize("path", sorted((SCRIPT_DIR / "include").glob("*.ps1")), ids=lambda path: path.stem)
def test_every_include_fragment_is_used_by_a_script(path):
    users = [name for name in SCRIPTS if f"certops-include: {path.stem}" in read_source(name)]
    assert users, f"{path.name} is included by no script"


@pytest.mark.parametrize("path", sorted(SCRIPT_DIR.rglob("*.ps1")), ids=lambda path: path.stem)
def test_scripts_use_no_here_strings_or_block_comments(path):
    """The assembler drops every line starting with '#': inside a here-string that would be data."""
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"@[\'\"]\s*$|<#|#>", text, re.MULTILINE)


def test_every_catalog_entry_cites_microsoft_reference():
    catalog = load_catalog()
    entries = [catalog["common_parameters"], *catalog["cmdlets"].values(), *catalog["dotnet_static"].values(), *catalog["dotnet_methods"].values()]
    assert [entry for entry in entries if not REFERENCE.match(entry.get("reference", ""))] == []


GOOD = """# certops-script: sample
[CmdletBinding(SupportsShouldProcess)]
param ([string]$Name)
Import-Module -Name WorkflowManager -ErrorAction Stop
$bytes = [System.Convert]::FromBase64String($Name)
if ($PSCmdlet.ShouldProcess($Name)) { Remove-SPTrustedRootAuthority -Identity $Name -Confirm:$false }
"""

BAD_SAMPLES = [
    ("syntax_error", GOOD.replace("param ([string]$Name)", "param ([string]$Name"), "<script>:3: syntax error"),
    ("unknown_cmdlet", GOOD + "Get-WFFarm\n", "command Get-WFFarm is not in the catalog"),
    ("unknown_parameter", GOOD.replace("-Name WorkflowManager", "-Nme WorkflowManager"), "parameter -Nme of Import-Module is not in the catalog"),
    ("abbreviated_parameter", GOOD.replace("-Identity $Name", "-Ident $Name"), "parameter -Ident of Remove-SPTrustedRootAuthority"),
    ("unknown_static_call", GOOD + "[System.IO.File]::ReadAllBytes($Name)\n", ".NET call [System.IO.File]::ReadAllBytes is not in the catalog"),
    ("unknown_method", GOOD + "$bytes.Clear()\n", "method .Clear() is not in the catalog"),
    ("dynamic_command_name", GOOD + "& $Name\n", "command name is not a literal"),
]


def test_checker_accepts_good_sample():
    assert catalog_problems(GOOD, load_catalog()) == []


@pytest.mark.parametrize("text,expected", [sample[1:] for sample in BAD_SAMPLES], ids=[sample[0] for sample in BAD_SAMPLES])
def test_checker_catches_bad_sample(text, expected):
    problems = catalog_problems(text, load_catalog())
    assert any(expected in problem for problem in problems), problems


def test_checker_allows_script_defined_function_with_its_parameters():
    text = GOOD + "Function Get-Fact { param ($Certificate) }\nGet-Fact -Certificate $bytes\n"
    assert catalog_problems(text, load_catalog()) == []
    assert "parameter -Other of Get-Fact" in catalog_problems(text + "Get-Fact -Other 1\n", load_catalog())[0]


@pytest.mark.parametrize("line", [
    "Invoke-Expression $Name",
    "iex $Name",
    "& $command",
    "[scriptblock]::Create($Name)",
    "$ps.AddScript($Name)",
])
def test_hygiene_catches_string_built_command(line):
    assert any("string-built command" in problem for problem in hygiene_problems(GOOD + line + "\n"))


def test_hygiene_catches_missing_marker():
    assert hygiene_problems(GOOD.replace("# certops-script: sample\n", "")) == ["<script>: no '# certops-script: <name>' marker"]
