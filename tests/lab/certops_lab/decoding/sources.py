# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Module identity for 2.16-2.18 payloads, which carry only the name as invoked.

The robust answer is the module's source: ``SourceIndex`` maps the SHA-256 of every ``.ps1``
module on the controller's collection path to its FQCN. The fallback is the invoked name, with
the Windows rewrites ``ActionBase._configure_module`` applies silently (``stat`` runs
``win_stat`` ...) and short names taken as ``ansible.windows`` modules.
"""
from __future__ import annotations

import glob
import hashlib
import os
import threading
from typing import Iterable, Optional

WINDOWS_REWRITES = {
    "stat": "ansible.windows.win_stat",
    "file": "ansible.windows.win_file",
    "copy": "ansible.windows.win_copy",
    "ping": "ansible.windows.win_ping",
    "setup": "ansible.windows.setup",
    "async_status": "ansible.windows.async_status",
}
_IMPLICIT_COLLECTIONS = ("ansible.legacy", "ansible.builtin")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def collection_roots(paths: Iterable[str]) -> list:
    """The ``ansible_collections`` directories of collection paths given either way Ansible accepts."""
    roots = []
    for path in paths:
        root = path if os.path.basename(os.path.normpath(path)) == "ansible_collections" else os.path.join(
            path, "ansible_collections")
        if os.path.isdir(root):
            roots.append(root)
    return roots


def _collection_modules(root: str) -> Iterable[tuple]:
    for path in sorted(glob.glob(os.path.join(root, "*", "*", "plugins", "modules", "*.ps1"))):
        parts = path[len(root):].strip(os.sep).split(os.sep)
        yield f"{parts[0]}.{parts[1]}.{os.path.splitext(parts[-1])[0]}", path


def _core_modules() -> Iterable[tuple]:
    try:
        import ansible.modules  # pylint: disable=import-outside-toplevel
    except ImportError:
        return
    for directory in ansible.modules.__path__:
        for path in sorted(glob.glob(os.path.join(directory, "*.ps1"))):
            yield f"ansible.builtin.{os.path.splitext(os.path.basename(path))[0]}", path


class SourceIndex:
    """SHA-256 of module source -> FQCN (the first collection path wins, as in Ansible)."""

    def __init__(self, by_hash: Optional[dict] = None):
        self.by_hash = dict(by_hash or {})

    def add(self, fqcn: str, source: bytes) -> None:
        self.by_hash.setdefault(sha256(source), fqcn)

    def lookup(self, source: bytes) -> Optional[str]:
        return self.by_hash.get(sha256(source))

    def __len__(self) -> int:
        return len(self.by_hash)

    @classmethod
    def scan(cls, collection_paths: Iterable[str], include_core: bool = True) -> "SourceIndex":
        index = cls()
        found = [item for root in collection_roots(collection_paths) for item in _collection_modules(root)]
        for fqcn, path in found + (list(_core_modules()) if include_core else []):
            with open(path, "rb") as handle:
                index.add(fqcn, handle.read())
        return index

    @classmethod
    def from_environment(cls) -> "SourceIndex":
        paths = [path for path in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if path]
        return cls.scan(paths)


_DEFAULT = {}
_DEFAULT_LOCK = threading.Lock()


def default_index() -> SourceIndex:
    """The index of this process's ANSIBLE_COLLECTIONS_PATH, built once per distinct path."""
    key = os.environ.get("ANSIBLE_COLLECTIONS_PATH", "")
    with _DEFAULT_LOCK:
        if key not in _DEFAULT:
            _DEFAULT[key] = SourceIndex.from_environment()
        return _DEFAULT[key]


def resolve_invoked_name(invoked: str) -> str:
    """The module a Windows host runs for a name as invoked, when its source is not indexed."""
    parts = invoked.split(".")
    collection, leaf = ".".join(parts[:2]), parts[-1]
    if len(parts) == 3 and collection not in _IMPLICIT_COLLECTIONS:
        return invoked
    return WINDOWS_REWRITES.get(leaf, f"ansible.windows.{leaf}")
