# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a certops script emits, read with the PowerShell grammar, so twin tests can check that a
twin returns exactly the properties of the script it stands in for."""
from __future__ import annotations

import pathlib

import tree_sitter
import tree_sitter_powershell

SCRIPTS = pathlib.Path(__file__).resolve().parents[3] / "plugins" / "plugin_utils" / "scripts"
PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def _walk(node):
    yield node
    for child in node.children:
        yield from _walk(child)


def _enclosing_hash_literal(node):
    node = node.parent
    while node.type != "hash_literal_expression":
        node = node.parent
    return node


def script_property_names(name: str, fragments: tuple = ()) -> set:
    """Every key of every [PSCustomObject]@{...} the script emits (its own source and the include fragments named)."""
    sources = [SCRIPTS / f"{name}.ps1"] + [SCRIPTS / "include" / f"{fragment}.ps1" for fragment in fragments]
    return set().union(*(_property_names(path.read_bytes()) for path in sources))


def _property_names(source: bytes) -> set:
    tree = PARSER.parse(source)
    names = set()
    for node in _walk(tree.root_node):
        if node.type == "cast_expression" and node.text.decode().lower().startswith("[pscustomobject]"):
            literal = next(child for child in _walk(node) if child.type == "hash_literal_expression")
            names.update(next(part for part in entry.children if part.type == "key_expression").text.decode()
                         for entry in _walk(literal) if entry.type == "hash_entry" and _enclosing_hash_literal(entry).id == literal.id)
    return names
