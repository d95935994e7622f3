"""Make `ansible_collections.certops.microsoft` (and ansible.windows) importable in pytest.

The Makefile exports ANSIBLE_COLLECTIONS_PATH with a tree in which this checkout appears as
ansible_collections/certops/microsoft; installing ansible-core's collection finder on those paths
is what ansible-test units does too.
"""
import os
import sys

from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DEFAULT_PATHS = [os.path.join(_REPO, ".build", "collections"), os.path.join(_REPO, ".collections")]
_PATHS = [p for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if p] or _DEFAULT_PATHS
_AnsibleCollectionFinder(paths=_PATHS, scan_sys_paths=False)._install()  # pylint: disable=protected-access
sys.path.insert(0, os.path.join(_REPO, "tests", "lab"))
