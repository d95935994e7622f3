# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build a fresh Estate from a topology: hosts, their certificates (issued by the lab CA, validity
relative to the lab clock) and the initial state of the product models.

Product sections are handed to the model that owns them: a module of ``certops_lab.products`` that
declares ``TOPOLOGY_SECTIONS`` (the section names it reads) and ``from_topology(products, estate)``.
In the ``products`` section the string ``cert:<id>`` stands for the thumbprint of the topology
certificate with that id.
"""
from __future__ import annotations

import datetime
import importlib
from typing import Optional

from certops_lab import invariants
from certops_lab.clock import DEFAULT_START, parse_instant, parse_offset
from certops_lab.state import Estate
from certops_lab.topology import TopologyError

CERT_REFERENCE = "cert:"
DEFAULT_NOT_BEFORE = "-1d"
DEFAULT_NOT_AFTER = "+365d"
# What a Windows CA's Computer or Web Server template sets on a leaf certificate.
DEFAULT_KEY_USAGE = ("digital_signature", "key_encipherment")


def _certificate_request(entry: dict, now) -> dict:
    """Keyword arguments for LabCA.issue from one topology certificate entry."""
    return {"subject": entry["subject"], "dns_names": list(entry.get("dns_names", [])),
            "not_before": now + parse_offset(entry.get("not_before", DEFAULT_NOT_BEFORE)),
            "not_after": now + parse_offset(entry.get("not_after", DEFAULT_NOT_AFTER)),
            "key_type": entry.get("key_type", "rsa"), "key_size": entry.get("key_size"),
            "hash_name": entry.get("hash", "sha256"), "self_signed": bool(entry.get("self_signed", False)),
            "key_usage": tuple(entry.get("key_usage", DEFAULT_KEY_USAGE)), "ekus": tuple(entry.get("extended_key_usage", ()))}


def _place_certificate(host, entry: dict, issued: tuple) -> str:
    certificate, key = issued
    store = host.store(entry.get("store_location", "LocalMachine"), entry.get("store_name", "My"))
    stored = store.add(certificate, key if entry.get("private_key", True) else None, exportable=bool(entry.get("exportable", True)),
                       key_storage=entry.get("key_storage", "machine"), friendly_name=entry.get("friendly_name", ""))
    for account in entry.get("acl", []):
        stored.grant_key_read(account)
    return stored.thumbprint


def _issue_or_copy(spec, index: int, entry: dict, ca, now, issued: dict) -> tuple:
    """A new certificate from the lab CA, or (copy_of) the one another host's entry got: farms share certificates."""
    if "copy_of" not in entry:
        return ca.issue(**_certificate_request(entry, now))
    if entry["copy_of"] not in issued:
        known = ", ".join(sorted(issued)) or "none"
        raise TopologyError(f"hosts.{spec.name}.certificates.{index}.copy_of: no certificate has id {entry['copy_of']!r} "
                            f"(ids: {known}); copy a certificate that a host earlier in the topology defines")
    return issued[entry["copy_of"]]


def _add_host(estate: Estate, spec, ca, references: dict, issued: dict, sources: dict) -> None:
    host = estate.add_host(spec.name, roles=list(spec.roles), user=spec.username)
    for index, entry in enumerate(spec.certificates):
        pair = _issue_or_copy(spec, index, entry, ca, estate.clock, issued)
        thumbprint = _place_certificate(host, entry, pair)
        if entry.get("source_thumbprint"):
            sources[entry["source_thumbprint"].upper()] = thumbprint
        if entry.get("id"):
            if entry["id"] in references:
                raise TopologyError(f"hosts.{spec.name}.certificates.{index}.id: {entry['id']!r} is used twice: give each certificate its own id")
            references[entry["id"]], issued[entry["id"]] = thumbprint, pair


def resolve_references(value, references: dict, path: str = "products"):
    """A copy of ``value`` with every ``cert:<id>`` string replaced by that certificate's thumbprint."""
    if isinstance(value, dict):
        return {key: resolve_references(item, references, f"{path}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_references(item, references, f"{path}.{index}") for index, item in enumerate(value)]
    if isinstance(value, str) and value.startswith(CERT_REFERENCE):
        wanted = value[len(CERT_REFERENCE):]
        if wanted not in references:
            known = ", ".join(sorted(references)) or "none"
            raise TopologyError(f"{path}: no certificate has id {wanted!r}: add `id: {wanted}` to a host certificate (ids: {known})")
        return references[wanted]
    return value


def product_models() -> dict:
    """products section -> the product module whose from_topology(products, estate) builds it (several sections may share one)."""
    models = {}
    for name in invariants.load_product_models():
        for section in getattr(importlib.import_module(name), "TOPOLOGY_SECTIONS", ()):
            models[section] = name
    return models


def _build_products(estate: Estate, products: dict) -> None:
    models = product_models()
    unknown = sorted(set(products) - set(models))
    if unknown:
        raise TopologyError(f"products.{unknown[0]}: no product model reads this section: use one of {', '.join(sorted(models))}")
    for module_name in sorted({models[section] for section in products}):
        try:
            importlib.import_module(module_name).from_topology(products, estate)
        except ValueError as error:
            raise TopologyError(str(error)) from None


def start_instant(clock) -> datetime.datetime:
    """The lab clock at first start: the topology's instant, the real time (whole seconds) for
    ``now`` (demos whose certificates must look right to tools that read the real clock), or
    DEFAULT_START."""
    if not clock:
        return DEFAULT_START
    if str(clock).strip().lower() == "now":
        return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return parse_instant(clock)


def build_estate(topology, ca, sources: Optional[dict] = None) -> Estate:
    """A new Estate for ``topology``; certificates are issued by ``ca`` relative to the topology clock. ``sources``
    receives {source_thumbprint: the lab's thumbprint} of an exported twin's certificates."""
    estate = Estate(clock=start_instant(topology.clock))
    references: dict = {}
    issued: dict = {}
    for spec in topology.hosts.values():
        _add_host(estate, spec, ca, references, issued, {} if sources is None else sources)
    _build_products(estate, resolve_references(topology.products, references))
    return estate
