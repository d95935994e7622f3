# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Twins of ansible.windows.win_certificate_store and ansible.windows.win_certificate_info.

win_certificate_store follows win_certificate_store.ps1: ``present`` imports every certificate
of the file (a PFX's chain lands in the same store) and re-imports a certificate only when the
file brings a private key the store lacks; ``key_storage: default`` is DefaultKeySet, which puts
the key in the importing user's profile (readable by that user only); ``exported`` rewrites the
file unless it already holds the certificate in the requested type.
"""
from __future__ import annotations

from certops_lab.certstore import LOCATIONS, WELL_KNOWN_STORES, canonical_location, thumbprint_of
from certops_lab.twins.certfiles import CertificateFileError, export_bytes, file_type_of, load_certificates
from certops_lab.twins.certview import certificate_info
from certops_lab.twins.paths import expand_paths
from certops_lab.twins.registry import ModuleFailure, check_choice, module_twin

STATES = ("absent", "exported", "present")
FILE_TYPES = ("der", "pem", "pkcs12")
KEY_STORAGES = ("default", "machine", "user")
STORE_OPTIONS = ("state", "path", "thumbprint", "store_name", "store_location", "store_type", "password", "key_exportable",
                 "key_storage", "file_type")


def open_store(host, location: str, name: str):
    """The store the module would open (OpenExistingOnly), with its error messages."""
    if location not in LOCATIONS:
        raise ModuleFailure(f"value of store_location must be one of: {', '.join(sorted(LOCATIONS))}. "
                            f"Got no match for: {location}")
    name = "CA" if name == "CertificateAuthority" else name
    known = f"{location}\\{name}".lower() in {key.lower() for key in host.stores}
    if not known and name.lower() not in {store.lower() for store in WELL_KNOWN_STORES}:
        raise ModuleFailure(f"unable to find store '{name}': (CertOpenStore failed (The system cannot find the file "
                            "specified, Win32ErrorCode 2 - 0x00000002))")
    return host.store(location, name)


def _validate(args: dict) -> None:
    for option, choices in (("state", STATES), ("file_type", FILE_TYPES), ("key_storage", KEY_STORAGES)):
        check_choice(option, args.get(option), choices)
    if args.get("store_type", "system") != "system":
        raise ModuleFailure("the lab's win_certificate_store twin models system stores only (store_type: system)")
    required = {"present": ("path",), "exported": ("path", "thumbprint")}.get(args["state"], ())
    missing = [option for option in required if not args.get(option)]
    if args["state"] == "absent" and not (args.get("path") or args.get("thumbprint")):
        raise ModuleFailure("state is absent but any of the following are missing: path, thumbprint")
    if missing:
        raise ModuleFailure(f"state is {args['state']} but all of the following are missing: {', '.join(missing)}")


def read_certificate_file(host, path: str, password) -> list:
    if not host.files.is_file(path):
        raise ModuleFailure(f"File at '{path}' either does not exist or is not a file")
    try:
        return load_certificates(host.files.read(path), password)
    except CertificateFileError as error:
        raise ModuleFailure(f"Failed to load cert from file: {error}") from None


def _key_storage(args: dict) -> str:
    """DefaultKeySet keeps the key in the importing user's profile."""
    return "machine" if args["key_storage"] == "machine" else "user"


def import_present(host, store, args: dict, ctx) -> dict:
    result = {"changed": False, "thumbprints": []}
    owner = ctx.become_user or host.user
    for certificate, key in read_certificate_file(host, args["path"], args.get("password")):
        thumbprint = thumbprint_of(certificate)
        result["thumbprints"].append(thumbprint)
        existing = store.get(thumbprint)
        if existing is not None and (key is None or existing.has_private_key):
            continue
        result["changed"] = True
        if not ctx.check_mode:
            store.add(certificate, key, exportable=key is not None and bool(args["key_exportable"]),
                      key_storage=_key_storage(args), owner=owner)
    return result


def remove_absent(host, store, args: dict, ctx) -> dict:
    if args.get("path"):
        wanted = [thumbprint_of(cert) for cert, _key in read_certificate_file(host, args["path"], args.get("password"))]
    else:
        wanted = [args["thumbprint"]]
    result = {"changed": False, "thumbprints": wanted}
    for thumbprint in wanted:
        if store.get(thumbprint) is not None:
            result["changed"] = True
            if not ctx.check_mode:
                store.remove(thumbprint)
    return result


def _already_exported(host, path: str, args: dict) -> bool:
    content = host.files.read(path)
    if file_type_of(content, path) != args["file_type"]:
        return False
    try:
        certificates = load_certificates(content, args.get("password"))
    except CertificateFileError:
        return False
    wanted = args["thumbprint"].replace(" ", "").upper()
    return any(thumbprint_of(cert) == wanted for cert, _key in certificates)


def export_file(host, store, args: dict, ctx) -> dict:
    path, thumbprint = args["path"], args["thumbprint"]
    result = {"changed": False, "thumbprints": [thumbprint]}
    if host.files.is_dir(path):
        raise ModuleFailure(f"Cannot export cert to path '{path}' as it is a directory")
    if host.files.is_file(path) and _already_exported(host, path, args):
        return result
    entry = store.get(thumbprint)
    if entry is None:
        raise ModuleFailure("Found 0 certs when only expecting 1")
    try:
        content = export_bytes(entry, args["file_type"], args.get("password"))
    except CertificateFileError as error:
        raise ModuleFailure(f"Failed to export certificate as bytes: {error}") from None
    if args["file_type"] == "pkcs12":
        result["key_exported"] = False          # what win_certificate_store.ps1 sets, whatever it exported
        if entry.has_private_key:
            result["key_exportable"] = entry.exportable
    if not ctx.check_mode:
        host.files.write(path, content, ctx.now.timestamp())
    result["changed"] = True
    return result


STATE_HANDLERS = {"present": import_present, "absent": remove_absent, "exported": export_file}


@module_twin("ansible.windows.win_certificate_store", options=STORE_OPTIONS)
def win_certificate_store(_estate, host, args, ctx) -> dict:
    args = {"state": "present", "store_name": "My", "store_location": "LocalMachine", "store_type": "system",
            "key_exportable": True, "key_storage": "default", "file_type": "der",
            **{key: value for key, value in expand_paths(host, args, ("path",)).items() if value is not None}}
    _validate(args)
    store = open_store(host, args["store_location"], args["store_name"])
    return STATE_HANDLERS[args["state"]](host, store, args, ctx)


@module_twin("ansible.windows.win_certificate_info", options=("thumbprint", "store_name", "store_location"))
def win_certificate_info(_estate, host, args, _ctx) -> dict:
    location = args.get("store_location") or "LocalMachine"
    check_choice("store_location", location, LOCATIONS)
    store = host.store(canonical_location(location), args.get("store_name") or "My")
    thumbprint = args.get("thumbprint")
    entries = [store.get(thumbprint)] if thumbprint else list(store.entries.values())
    certificates = sorted((certificate_info(entry) for entry in entries if entry is not None),
                          key=lambda info: info["thumbprint"])
    return {"changed": False, "exists": bool(certificates), "certificates": certificates}
