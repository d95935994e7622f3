# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A host's file system as NTFS shows it to Ansible: case-insensitive, case-preserving Windows paths.

Only what win_copy, win_file, win_stat, put_file, fetch_file and the temp-dir plumbing need:
files (bytes), directories, parents created on demand, last-write times (epoch seconds, set
from the lab clock by the caller). Drive roots (``C:\\``) always exist.
"""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Optional

_DRIVE_ROOT = re.compile(r"^[A-Za-z]:$")


class FileSystemError(OSError):
    """A file operation Windows would refuse; the message is what PowerShell would say."""


def normalise(path: str) -> str:
    """``c:/Temp//x\\.\\y\\..\\`` -> ``c:\\Temp\\x``; drive roots keep their backslash.

    Ansible removes its temp dir as ``<tmp>\\.``, which Windows resolves to ``<tmp>``."""
    parts = []
    for part in re.split(r"[\\/]+", str(path).strip()):
        if part == "..":
            parts = parts[:-1] if len(parts) > 1 else parts
        elif part not in (".", ""):
            parts.append(part)
    text = ("\\\\" if re.match(r"^[\\/]{2}", str(path).strip()) else "") + "\\".join(parts)
    return text + "\\" if _DRIVE_ROOT.match(text) else text


def parent_of(path: str) -> Optional[str]:
    path = normalise(path)
    if path.endswith("\\"):
        return None
    head = path.rsplit("\\", 1)[0]
    return normalise(head) if "\\" in path and head else None


def basename(path: str) -> str:
    return normalise(path).rstrip("\\").rsplit("\\", 1)[-1]


def join(*parts: str) -> str:
    return normalise("\\".join(part for part in parts if part))


def is_absolute(path: str) -> bool:
    return bool(re.match(r"^[A-Za-z]:[\\/]", str(path))) or str(path).startswith("\\\\")


@dataclass
class Node:
    path: str                       # as first created (case preserved)
    content: Optional[bytes]        # None for a directory
    modified: float = 0.0

    @property
    def is_dir(self) -> bool:
        return self.content is None


class FileSystem:
    """Nodes by lower-case normalised path."""

    def __init__(self):
        self.nodes: dict = {}

    @staticmethod
    def _key(path: str) -> str:
        return normalise(path).lower()

    def get(self, path: str) -> Optional[Node]:
        if _DRIVE_ROOT.match(normalise(path).rstrip("\\")):
            return Node(normalise(path), None)
        return self.nodes.get(self._key(path))

    def exists(self, path: str) -> bool:
        return self.get(path) is not None

    def is_dir(self, path: str) -> bool:
        node = self.get(path)
        return node is not None and node.is_dir

    def is_file(self, path: str) -> bool:
        node = self.get(path)
        return node is not None and not node.is_dir

    def read(self, path: str) -> bytes:
        node = self.get(path)
        if node is None:
            raise FileSystemError(f"Cannot find path '{path}' because it does not exist.")
        if node.is_dir:
            raise FileSystemError(f"Access to the path '{path}' is denied.")
        return node.content

    def mkdir(self, path: str, modified: float = 0.0) -> bool:
        """Create ``path`` and its parents; True when anything was created."""
        node = self.get(path)
        if node is not None:
            if not node.is_dir:
                raise FileSystemError(f"An item with the specified name {path} already exists.")
            return False
        parent = parent_of(path)
        if parent:
            self.mkdir(parent, modified)
        self.nodes[self._key(path)] = Node(normalise(path), None, modified)
        return True

    def write(self, path: str, content: bytes, modified: float = 0.0) -> None:
        """Write a file, creating its parent directories."""
        node = self.get(path)
        if node is not None and node.is_dir:
            raise FileSystemError(f"Access to the path '{path}' is denied.")
        parent = parent_of(path)
        if parent:
            self.mkdir(parent, modified)
        kept_name = node.path if node is not None else normalise(path)
        self.nodes[self._key(path)] = Node(kept_name, bytes(content), modified)

    def children(self, path: str) -> list:
        prefix = self._key(path).rstrip("\\") + "\\"
        return sorted((node for key, node in self.nodes.items()
                       if key.startswith(prefix) and "\\" not in key[len(prefix):]), key=lambda node: node.path.lower())

    def remove(self, path: str) -> bool:
        """Remove a file or a directory tree; True when something was removed."""
        key = self._key(path)
        if key not in self.nodes:
            return False
        prefix = key.rstrip("\\") + "\\"
        for other in [other for other in self.nodes if other == key or other.startswith(prefix)]:
            del self.nodes[other]
        return True

    def touch(self, path: str, modified: float) -> None:
        node = self.get(path)
        if node is None:
            self.write(path, b"", modified)
        else:
            node.modified = modified

    def to_dict(self) -> dict:
        return {node.path: {"content": None if node.is_dir else base64.b64encode(node.content).decode("ascii"),
                            "modified": node.modified} for node in sorted(self.nodes.values(), key=lambda node: node.path.lower())}

    @classmethod
    def from_dict(cls, data: dict) -> "FileSystem":
        files = cls()
        for path, item in data.items():
            content = item.get("content")
            files.nodes[cls._key(path)] = Node(normalise(path), None if content is None else base64.b64decode(content),
                                               float(item.get("modified", 0.0)))
        return files
