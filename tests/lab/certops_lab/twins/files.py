# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Twins of ansible.windows.win_stat, win_file and win_copy (with win_copy's private ``_copy_mode`` protocol).

win_copy from the controller is a conversation between its action plugin and its module
(wire reference §5.3): ``query`` returns the files that still differ by SHA-1 (empty lists mean
"unchanged"), put_file lands the content in ``<remote tmp>\\source``, and ``single`` copies it to
``dest``. In check mode the action plugin answers ``single`` itself.
"""
from __future__ import annotations

import hashlib

from certops_lab.filesystem import FileSystemError, basename, join, normalise, parent_of
from certops_lab.state import sha1_hex
from certops_lab.twins.paths import expand_paths
from certops_lab.twins.registry import ModuleFailure, module_twin

CHECKSUMS = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384,
             "sha512": hashlib.sha512}


def _timestamps(node) -> dict:
    return {"creationtime": node.modified, "lastaccesstime": node.modified, "lastwritetime": node.modified}


def stat_view(node, args: dict) -> dict:
    """win_stat's ``stat`` for an existing file or directory."""
    name = basename(node.path)
    view = {"exists": True, "path": node.path, "filename": name, "attributes": "Directory" if node.is_dir else "Archive",
            "isdir": node.is_dir, "isreg": not node.is_dir, "islnk": False, "isjunction": False, "ishidden": False,
            "isreadonly": False, "isarchive": not node.is_dir, "isshared": False, "hlnk_targets": [], "nlink": 1,
            "owner": "BUILTIN\\Administrators", **_timestamps(node)}
    if not node.is_dir:
        view["extension"] = "." + name.rsplit(".", 1)[1] if "." in name else ""
        view["size"] = len(node.content)
        if args.get("get_checksum", True):
            algorithm = args.get("checksum_algorithm") or "sha1"
            view["checksum"] = CHECKSUMS[algorithm](node.content).hexdigest()
    elif args.get("get_size", True):
        view["size"] = 0
    return view


@module_twin("ansible.windows.win_stat")
def win_stat(_estate, host, args, _ctx) -> dict:
    args = expand_paths(host, args, ("path",))
    path = args.get("path")
    if not path:
        raise ModuleFailure("missing required arguments: path")
    algorithm = args.get("checksum_algorithm") or "sha1"
    if algorithm not in CHECKSUMS:
        raise ModuleFailure(f"Get-AnsibleParam: Argument checksum_algorithm needs to be one of {','.join(CHECKSUMS)} but was {algorithm}.")
    node = host.files.get(path)
    return {"changed": False, "stat": stat_view(node, args) if node is not None else {"exists": False}}


def _file_absent(host, path: str, ctx) -> dict:
    changed = host.files.exists(path)
    if changed and not ctx.check_mode:
        host.files.remove(path)
    return {"changed": changed}


def _file_directory(host, path: str, ctx) -> dict:
    node = host.files.get(path)
    if node is not None and not node.is_dir:
        raise ModuleFailure(f"path {path} is not a directory")
    if node is None and not ctx.check_mode:
        host.files.mkdir(path, ctx.now.timestamp())
    return {"changed": node is None}


def _file_file(host, path: str, _ctx) -> dict:
    node = host.files.get(path)
    if node is None:
        raise ModuleFailure(f"path {path} will not be created")
    if node.is_dir:
        raise ModuleFailure(f"path {path} is not a file")
    return {"changed": False}


def _file_touch(host, path: str, ctx) -> dict:
    """touch always moves the timestamps to now, so it always reports a change (as on Windows)."""
    if host.files.is_dir(path):
        return {"changed": True}
    if not ctx.check_mode:
        host.files.touch(path, ctx.now.timestamp())
    return {"changed": True}


FILE_STATES = {"absent": _file_absent, "directory": _file_directory, "file": _file_file, "touch": _file_touch}


@module_twin("ansible.windows.win_file")
def win_file(_estate, host, args, ctx) -> dict:
    args = expand_paths(host, args, ("path", "dest", "name"))
    path = args.get("path") or args.get("dest") or args.get("name")
    if not path:
        raise ModuleFailure("Get-AnsibleParam: Missing required argument: path")
    state = args.get("state")
    if state is not None and state not in FILE_STATES:
        raise ModuleFailure(f"Get-AnsibleParam: Argument state needs to be one of {','.join(FILE_STATES)} but was {state}.")
    if state is None:
        state = "file" if host.files.exists(path) or basename(path) else "directory"
    return FILE_STATES[state](host, path, ctx)


# --- win_copy ------------------------------------------------------------------------------
def _query_file(host, dest: str, entry: dict, force: bool) -> bool:
    """Whether one file of a query still needs copying."""
    path = join(dest, entry["dest"])
    if host.files.is_dir(path):
        path = join(path, basename(entry["src"]))
    node = host.files.get(path)
    if node is None:
        return True
    if node.is_dir:
        raise ModuleFailure(f"cannot copy file to dest '{path}': object at path is already a directory")
    return force and sha1_hex(node.content) != entry.get("checksum")


def _query_directory(host, dest: str, entry: dict) -> bool:
    path = join(dest, entry["dest"])
    if host.files.is_file(parent_of(path) or path):
        raise ModuleFailure(f"cannot copy folder to dest '{path}': object at parent directory path is already a file")
    if host.files.is_file(path):
        raise ModuleFailure(f"cannot copy folder to dest '{path}': object at path is already a file")
    return not host.files.is_dir(path)


def copy_query(host, args: dict, _ctx) -> dict:
    dest, force = args["dest"], args.get("force", True) not in (False, "no", "false", "False")
    files = [entry for entry in args.get("files") or [] if _query_file(host, dest, entry, force)]
    directories = [entry for entry in args.get("directories") or [] if _query_directory(host, dest, entry)]
    return {"changed": False, "files": files, "directories": directories, "symlinks": []}


def _target_path(host, dest: str, basename_hint: str) -> str:
    if str(dest).endswith(("\\", "/")) or host.files.is_dir(dest):
        return join(dest, basename_hint)
    return normalise(dest)


def _ensure_parent(host, target: str, dest: str, ctx) -> None:
    parent = parent_of(target)
    if parent and host.files.is_file(parent):
        raise ModuleFailure(f"object at destination parent dir '{parent}' is currently a file")
    if parent and not host.files.is_dir(parent):
        if normalise(dest) == target:
            raise ModuleFailure(f"Destination directory '{parent}' does not exist")
        host.files.mkdir(parent, ctx.now.timestamp())


def _backup(host, target: str, ctx) -> str:
    stamp = ctx.now.strftime("%Y%m%d-%H%M%S")
    backup = f"{target}.{stamp}.bak"
    if host.files.is_file(target) and not ctx.check_mode:
        host.files.write(backup, host.files.read(target), ctx.now.timestamp())
    return backup


def copy_single(host, args: dict, ctx) -> dict:
    """The file put_file left in the remote tmp dir goes to dest (Copy-Item -Force)."""
    src = args.get("src")
    if not src or not host.files.is_file(src):
        raise ModuleFailure(f"Cannot copy src file: '{src}' as it does not exist")
    target = _target_path(host, args["dest"], args.get("_original_basename") or basename(src))
    _ensure_parent(host, target, args["dest"], ctx)
    result = {"changed": True}
    if args.get("backup"):
        result["backup_file"] = _backup(host, target, ctx)
    if not ctx.check_mode:
        host.files.write(target, host.files.read(src), ctx.now.timestamp())
    return result


def copy_remote(host, args: dict, ctx) -> dict:
    """remote_src: true, for a single file (folders are not modelled)."""
    src, dest = args.get("src"), args["dest"]
    if not src or not host.files.exists(src):
        raise ModuleFailure(f"Cannot copy src file: '{src}' as it does not exist", src=src, dest=dest)
    if host.files.is_dir(src):
        raise ModuleFailure("the lab's win_copy twin copies single files with remote_src; folder copies are not modelled",
                            src=src, dest=dest)
    target = _target_path(host, dest, basename(src))
    _ensure_parent(host, target, dest, ctx)
    content = host.files.read(src)
    existing = host.files.get(target)
    if existing is not None and existing.is_dir:
        raise ModuleFailure(f"cannot copy file from '{src}' to '{target}': dest is already a folder")
    changed = existing is None or (args.get("force", True) and existing.content != content)
    if changed and not ctx.check_mode:
        host.files.write(target, content, ctx.now.timestamp())
    return {"changed": changed, "src": src, "dest": target, "operation": "file_copy",
            "original_basename": basename(src), "checksum": sha1_hex(content), "size": len(content)}


COPY_MODES = {"query": copy_query, "single": copy_single, "remote": copy_remote}


@module_twin("ansible.windows.win_copy")
def win_copy(_estate, host, args, ctx) -> dict:
    args = expand_paths(host, args, ("src", "dest"))
    mode = args.get("_copy_mode", "single")
    if mode not in COPY_MODES:
        raise ModuleFailure(f"the lab's win_copy twin does not model _copy_mode {mode!r} (several files travel as a zip): "
                            "copy one file per task")
    if not args.get("dest"):
        raise ModuleFailure("Get-AnsibleParam: Missing required argument: dest")
    try:
        return COPY_MODES[mode](host, args, ctx)
    except FileSystemError as error:
        raise ModuleFailure(str(error)) from None
