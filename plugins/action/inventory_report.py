# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action of certops.microsoft.inventory_report: write the estate's certificate reports on the controller.

It works in the controller process alone and never opens the task host's connection: the reports
come from the certificate_inventory results the task is given (module_utils/_inventory_report.py
renders them) and are written here, each through a temporary file and a rename.
"""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError
from ansible_collections.certops.microsoft.plugins.module_utils._inventory_report import REPORT_FORMATS, estate_inventory, render_reports
from ansible_collections.certops.microsoft.plugins.plugin_utils._action import CertopsActionBase, registered_by_play_host

FILE_MODE = 0o644
DIRECTORY_MODE = 0o755

ARGUMENT_SPEC = {
    "results": {"type": "dict"},
    "results_from": {"type": "str"},
    "dest": {"type": "path", "required": True},
    "formats": {"type": "list", "elements": "str", "choices": sorted(REPORT_FORMATS), "default": sorted(REPORT_FORMATS)},
}


def os_error(action: str, path: str, error: OSError) -> CertopsError:
    return CertopsError(f"cannot {action} {path}: {error.strerror or error}; run as a user that may write there or choose another dest")


def make_directory(path: str) -> bool:
    """Create the report directory (and its parents) when missing; True when it was created.
    An existing directory keeps its mode: someone chose it."""
    if os.path.isdir(path):
        return False
    try:
        os.makedirs(path)
        os.chmod(path, DIRECTORY_MODE)  # exactly 0755, whatever the umask
    except OSError as error:
        raise os_error("create the report directory", path, error) from None
    return True


def is_current(path: str, content: bytes) -> bool:
    """Whether path already holds exactly content, with mode 0644."""
    try:
        with open(path, "rb") as handle:
            return handle.read() == content and stat.S_IMODE(os.fstat(handle.fileno()).st_mode) == FILE_MODE
    except FileNotFoundError:
        return False
    except OSError as error:
        raise os_error("read", path, error) from None


def write_atomically(path: str, content: bytes) -> None:
    """Write through a temporary file in the same directory and a rename, so that a reader (or a
    run that stops half way) finds the old report or the new one, never part of one."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=os.path.dirname(path) or ".")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        os.chmod(temporary, FILE_MODE)  # mkstemp makes it 0600
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise os_error("write", path, error) from None


def write_reports(directory: str, texts: dict, check_mode: bool) -> tuple:
    """(changed, paths): each report written unless it is already current; in check mode only said."""
    changed, paths = False, []
    for name, text in texts.items():
        path, content = os.path.join(directory, name), text.encode("utf-8")
        paths.append(path)
        if not is_current(path, content):
            changed = True
            if not check_mode:
                write_atomically(path, content)
    return changed, paths


class ActionModule(CertopsActionBase):
    """certops.microsoft.inventory_report"""

    ARGUMENT_SPEC = ARGUMENT_SPEC
    VALIDATION_RULES = {"mutually_exclusive": [["results", "results_from"]], "required_one_of": [["results", "results_from"]]}
    # The task host is never contacted (ansible-core then starts no persistent connection for it).
    _requires_connection = False

    def task_arguments(self, task_vars: dict) -> dict:
        args = self._task.args
        if args.get("results_from") and "results" not in args:
            completed = {key: value for key, value in args.items() if key != "results_from"}
            return dict(completed, results=registered_by_play_host(task_vars, args["results_from"]))
        return args

    def validated_arguments(self, args: dict) -> dict:
        """The base's validation with ``results`` set aside when it is a dict: the validator deep-copies
        every value, which for the certificates of a few hundred hosts cost more than the rest of the
        task. The action only reads them, so they are handed over as given."""
        results = args.get("results")
        if not isinstance(results, dict):
            return super().validated_arguments(args)
        return dict(super().validated_arguments(dict(args, results={})), results=results)

    def perform(self, params: dict, task_vars: dict) -> dict:
        estate = estate_inventory(params["results"])
        directory = params["dest"]
        created = not os.path.isdir(directory) if self.check_mode else make_directory(directory)
        changed, paths = write_reports(directory, render_reports(estate, params["formats"]), self.check_mode)
        return {"changed": created or changed, "dest": directory, "files": paths, "hosts": list(estate.hosts),
                "not_inventoried": estate.not_inventoried, "certificate_count": estate.certificate_count}
