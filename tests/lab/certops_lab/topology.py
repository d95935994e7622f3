# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Topology files: read, validate against topology.schema.json, expand into host specifications.

Errors name the place and the fix, one line each, e.g.
``hosts.wfm01.transport: 'kerberos' is not one of basic, https, ntlm``.
"""
from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from typing import Optional, Union

import jsonschema
import yaml

SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "topology.schema.json")
DEFAULT_TRANSPORT = "basic"
DEFAULT_USERNAME = "ansible"
DEFAULT_PASSWORD = "Lab-Passw0rd!"
_HOST_KEYS = ("roles", "transport", "username", "password", "certificates")


class TopologyError(ValueError):
    """A topology file that cannot be used; the message says where and how to fix it."""


@dataclass
class HostSpec:
    name: str
    roles: list
    transport: str
    username: str
    password: str
    port: int = 0
    certificates: list = field(default_factory=list)


@dataclass
class Topology:
    hosts: dict                       # name -> HostSpec, in file order
    products: dict = field(default_factory=dict)
    clock: Optional[str] = None
    source: Optional[str] = None


def _schema() -> dict:
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        return json.load(handle)


def _where(error) -> str:
    return ".".join(str(part) for part in error.absolute_path) or "(top level)"


def _explain(error) -> str:
    """One schema error as a sentence that says what to write instead."""
    kind, value = error.validator, error.instance
    if kind == "enum":
        return f"{value!r} is not one of {', '.join(str(item) for item in error.validator_value)}"
    if kind == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"{error.message}; allowed keys here: {allowed}"
    if kind == "pattern" and "[dhms]" in error.validator_value:
        return f"{value!r} is not an offset: write a signed number and a unit d, h, m or s, e.g. +10d or -3d"
    if kind == "pattern" and "@" in error.validator_value:
        return f"{value!r}: use a plain user name without '@' or ':' (an '@' makes Ansible try Kerberos)"
    if kind == "pattern":
        return f"{value!r} is not a valid name: start with a letter, then letters, digits or '-' (at most 63)"
    if kind == "required":
        return f"{error.message}: add it"
    if kind == "anyOf" and all("required" in option for option in error.validator_value):
        names = " or ".join(repr(option["required"][0]) for option in error.validator_value)
        return f"{names} is a required property: add one of them"
    return error.message


def validate(data) -> None:
    """Raise TopologyError listing every schema violation with its path."""
    if not isinstance(data, dict):
        raise TopologyError("the topology must be a YAML mapping with at least a 'hosts' key")
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda item: [str(part) for part in item.absolute_path])
    if errors:
        raise TopologyError("invalid topology:\n" + "\n".join(f"  {_where(item)}: {_explain(item)}" for item in errors))


def _read(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except OSError as error:
        raise TopologyError(f"cannot read topology {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise TopologyError(f"topology {path} is not valid YAML: {error}") from None


def _host(name: str, entry: dict, defaults: dict) -> HostSpec:
    merged = {key: copy.deepcopy(entry.get(key, defaults.get(key))) for key in _HOST_KEYS}
    return HostSpec(name=name, roles=merged["roles"] or ["generic"],
                    transport=merged["transport"] or DEFAULT_TRANSPORT, username=merged["username"] or DEFAULT_USERNAME,
                    password=merged["password"] or DEFAULT_PASSWORD, port=int(entry.get("port", 0)),
                    certificates=merged["certificates"] or [])


def _series_hosts(series: dict, defaults: dict) -> list:
    width = max(3, len(str(series["count"])))
    return [_host(f"{series['prefix']}{number:0{width}d}", series, defaults) for number in range(1, series["count"] + 1)]


def _expand(data: dict) -> dict:
    defaults = data.get("defaults") or {}
    hosts = {name: _host(name, entry or {}, defaults) for name, entry in (data.get("hosts") or {}).items()}
    for series in data.get("host_series") or []:
        for spec in _series_hosts(series, defaults):
            if spec.name in hosts:
                raise TopologyError(f"host_series: {spec.name} is also listed under hosts: rename one of them")
            hosts[spec.name] = spec
    if not hosts:
        raise TopologyError("hosts: the topology has no host: add at least one under 'hosts'")
    return hosts


def load_topology(source: Union[str, dict]) -> Topology:
    """A validated, expanded topology from a YAML file path or an already parsed mapping."""
    data = _read(source) if isinstance(source, (str, os.PathLike)) else copy.deepcopy(source)
    validate(data)
    return Topology(hosts=_expand(data), products=data.get("products") or {}, clock=data.get("clock"),
                    source=str(source) if isinstance(source, (str, os.PathLike)) else None)
