# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PRIVATE to the collection: a lab topology (tests/lab/certops_lab/topology.schema.json) of a real estate.

What the rehearsal starts (docs/rehearsal.md): the hosts with the lab role of each product group they are in, every
certificate the inventory read (metadata only: the lab issues a new certificate and key with the same subject, names,
validity, key type and usages; ``source_thumbprint`` keeps the real one), and each product's configuration with
``cert:<id>`` standing for the lab's certificate. Validity is written as offsets from ``as_of``, so the twin has the
same days left as the estate had. No password, key or secret is ever read into it: the lab's own credentials apply.
"""
from __future__ import annotations

import datetime
import re

from ansible_collections.certops.microsoft.plugins.module_utils._time import parse_iso

LAB_ROLES = ("wfm", "sharepoint", "adfs", "exchange", "sf_node")
LAB_STORES = {"LocalMachine", "CurrentUser"}, {"My", "Root", "CA", "TrustedPeople", "WebHosting"}
LAB_HOST_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,62}$")
DEFAULT_READERS = {"NT AUTHORITY\\SYSTEM", "BUILTIN\\Administrators"}
KEY_SIZES = {"rsa": (1024, 2048, 3072, 4096), "ecdsa": (256, 384)}
HASHES = ("sha1", "sha256", "sha384", "sha512")
THUMBPRINT = re.compile(r"^[0-9A-F]{40}$")


class TwinError(ValueError):
    """An estate the lab cannot reproduce, with what to change."""


def offset(when: str, as_of: datetime.datetime) -> str:
    """``+30d`` (whole days) or ``+2591990s``: the time from ``as_of`` to ``when``, as the topology writes validity."""
    seconds = int((parse_iso(when) - as_of).total_seconds())
    return f"{seconds // 86400:+d}d" if seconds % 86400 == 0 else f"{seconds:+d}s"


def snake(name: str) -> str:
    """``digitalSignature`` -> ``digital_signature``; ``cRLSign`` -> ``crl_sign``."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name.replace("cRL", "crl")).lower()


def certificate_id(certificate: dict) -> str:
    """A readable, stable id: the subject's first value and the start of the real thumbprint."""
    first = re.sub(r"^[A-Za-z]+=", "", certificate.get("subject") or "").split(",")[0]
    slug = re.sub(r"[^a-z0-9]+", "-", first.lower()).strip("-")[:32] or "certificate"
    return f"{slug}-{certificate['thumbprint'][:8].lower()}"


def key_settings(certificate: dict, notes: list) -> dict:
    kind = {"RSA": "rsa", "EC": "ecdsa"}.get(certificate.get("key_type"), "")
    size = certificate.get("key_size")
    if not kind or size not in KEY_SIZES[kind]:
        notes.append(f"{certificate['thumbprint']}: key {certificate.get('key_type')} {size} is not one the lab issues; the twin has RSA 2048")
        return {"key_type": "rsa", "key_size": 2048}
    return {"key_type": kind, "key_size": size}


def signature_hash(certificate: dict, notes: list) -> str:
    name = (certificate.get("signature_hash") or "").lower()
    if name not in HASHES:
        notes.append(f"{certificate['thumbprint']}: signature hash {name or 'unknown'} is not one the lab issues; the twin has sha256")
        return "sha256"
    return name


def metadata(certificate: dict, as_of: datetime.datetime, notes: list) -> dict:
    """The topology fields of a certificate the inventory read: what the lab needs to issue its twin."""
    return {"subject": certificate["subject"] or f"CN={certificate['thumbprint']}",
            "dns_names": [name["value"] for name in certificate.get("subject_alt_names") or [] if name.get("type") == "dns"],
            "not_before": offset(certificate["not_before"], as_of), "not_after": offset(certificate["not_after"], as_of),
            **key_settings(certificate, notes), "hash": signature_hash(certificate, notes),
            "self_signed": bool(certificate.get("self_signed")),
            "key_usage": [snake(name) for name in certificate.get("key_usage") or []],
            "extended_key_usage": [usage["oid"] for usage in certificate.get("extended_key_usages") or []]}


def placement(certificate: dict, readers: list) -> dict:
    """Where a copy sits and who reads its key, on one host."""
    entry = {"store_location": certificate["store_location"], "store_name": certificate["store_name"],
             "private_key": bool(certificate.get("has_private_key")),
             "exportable": bool(certificate.get("key_exportable")) if certificate.get("has_private_key") else True}
    extra = sorted(set(readers) - DEFAULT_READERS)
    if extra and entry["private_key"]:
        entry["acl"] = extra
    return entry


def in_lab_store(certificate: dict) -> bool:
    locations, names = LAB_STORES
    return certificate.get("store_location") in locations and certificate.get("store_name") in names


def host_certificates(host: str, certificates: list, context: dict) -> list:
    """The topology entries of one host: the first copy of a certificate defines it, later ones are ``copy_of``."""
    entries = []
    for certificate in sorted(certificates, key=lambda item: (item["store_location"], item["store_name"], item["thumbprint"])):
        if not in_lab_store(certificate):
            context["notes"].append(f"{host}: {certificate['store_location']}\\{certificate['store_name']} is not a store the lab has; "
                                    f"{certificate['thumbprint']} is left out")
            continue
        entries.append(host_entry(host, certificate, context))
    return entries


def host_entry(host: str, certificate: dict, context: dict) -> dict:
    thumbprint = certificate["thumbprint"].upper()
    where = placement(certificate, context["readers"].get((host, thumbprint), []))
    if thumbprint in context["ids"]:
        return {"copy_of": context["ids"][thumbprint], **where}
    context["ids"][thumbprint] = certificate_id(certificate)
    return {"id": context["ids"][thumbprint], "source_thumbprint": thumbprint,
            **metadata(certificate, context["as_of"], context["notes"]), **where}


def key_readers(reads: dict) -> dict:
    """{(host, thumbprint): readers} from every product read: the reads say who may read each key they looked at."""
    found = {}

    def walk(host, value):
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, dict) and THUMBPRINT.match(str(key)) and isinstance(item.get("readers"), list):
                    found.setdefault((host, key), item["readers"])
                walk(host, item)
        elif isinstance(value, list):
            for item in value:
                walk(host, item)
    for product_reads in reads.values():
        for host, read in (product_reads or {}).items():
            walk(host, (read or {}).get("state"))
    return found


def check_host_names(hosts) -> None:
    wrong = [host for host in hosts if not LAB_HOST_NAME.match(host)]
    if wrong:
        raise TwinError(f"the lab names hosts with letters, digits and '-' only (at most 63), which {', '.join(sorted(wrong))} "
                        "are not: give those hosts a short inventory alias (and ansible_host for the address) and export again")


def hosts_section(inventories: dict, roles: dict, context: dict) -> dict:
    check_host_names(inventories)
    hosts = {}
    for host in inventories:  # inventory order: a role may take the first host of its group for a reason (D365's orchestrator)
        entry = {"roles": sorted(roles.get(host) or ["generic"])}
        certificates = host_certificates(host, (inventories[host] or {}).get("certificates") or [], context)
        if certificates:
            entry["certificates"] = certificates
        hosts[host] = entry
    return hosts


def reference(thumbprint: str, ids: dict) -> str:
    """``cert:<id>`` for a certificate the twin issues, else the thumbprint as read (the lab refuses what it lacks)."""
    thumbprint = (thumbprint or "").upper()
    return f"cert:{ids[thumbprint]}" if thumbprint in ids else thumbprint


def new_context(as_of: datetime.datetime, reads: dict) -> dict:
    return {"as_of": as_of, "ids": {}, "notes": [], "readers": key_readers(reads)}


def topology(inventories: dict, roles: dict, products: list, context: dict, clock: str) -> dict:
    """The whole topology; ``products`` is a list of (name, callable(context) -> {section: value})."""
    document = {"clock": clock, "hosts": hosts_section(inventories, roles, context), "products": {}}
    for _name, sections in products:
        document["products"].update(sections(context))
    if not document["products"]:
        del document["products"]
    return document
