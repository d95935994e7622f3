# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Record what each supported ansible-core minor sends over WinRM, as golden decode tests.

For every minor it runs real ``ansible-playbook`` (from a recorder venv) with the real winrm
connection plugin and pywinrm against the lab's WS-Management server (``certops_lab.wsman``,
HTTP Basic on 127.0.0.1) with a capturing runtime behind it, once per scenario of ``certops_lab.decoding.recording.SCENARIOS``: win_ping,
win_powershell with parameters, check mode + diff, no_log, become runas, raw, win_copy of one
file, fetch, gather_facts, win_certificate_store, win_file. Every ExecRequest (command line and
all stdin) is stored with its decode in ``tests/lab/tests/golden/core-2.NN.json.gz``; nothing is
written for a minor whose decode disagrees with what a scenario declares.

Recorder venvs (not committed), one per minor, python3.11 for 2.16-2.18 and python3.13 after:

    py=$(tools/find-python.sh 3.11)     # 3.13 for 2.19, 2.20, 2.21
    $py -m venv .cache/venvs/core-2.16
    .cache/venvs/core-2.16/bin/pip install 'ansible-core==2.16.*' pywinrm==0.5.0

Then, from the repository root with the dev venv:

    .venv/bin/python tools/record_payloads.py                 # every minor with a venv
    .venv/bin/python tools/record_payloads.py --minor 2.21 --scenario win_copy --dry-run

ANSIBLE_COLLECTIONS_PATH defaults to .build/collections:.collections (ansible.windows from there).
Re-record when ansible.windows or a supported ansible-core minor changes; review the diff of
the decoded calls (``expected``) before committing.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "lab"))

# pylint: disable=wrong-import-position
from certops_lab.decoding.golden import FORMAT, pack_request, write_golden  # noqa: E402
from certops_lab.decoding.recording import SCENARIOS, SCENARIOS_BY_NAME, record_scenarios  # noqa: E402

MINORS = ("2.16", "2.17", "2.18", "2.19", "2.20", "2.21")
GOLDEN_DIR = os.path.join(REPO, "tests", "lab", "tests", "golden")
VENV_ROOT = os.path.join(REPO, ".cache", "venvs")
_VERSIONS = ("import json, importlib.metadata as m, ansible.release, sys; "
             "print(json.dumps({'ansible_core': ansible.release.__version__, 'pywinrm': m.version('pywinrm'), "
             "'python': sys.version.split()[0]}))")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--minor", action="append", choices=MINORS, help="ansible-core minor to record (repeatable; default: all with a venv)")
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS_BY_NAME), help="record only these scenarios (implies --dry-run)")
    parser.add_argument("--venv-root", default=VENV_ROOT, help="directory holding core-2.NN venvs (default: %(default)s)")
    parser.add_argument("--golden-dir", default=GOLDEN_DIR, help="where core-2.NN.json.gz goes (default: %(default)s)")
    parser.add_argument("--dry-run", action="store_true", help="record and check, write nothing")
    return parser.parse_args(argv)


def venv_versions(venv: str) -> dict:
    output = subprocess.run([os.path.join(venv, "bin", "python"), "-c", _VERSIONS], capture_output=True, text=True, check=True).stdout
    return json.loads(output)


def ansible_windows_version() -> str:
    for root in os.environ["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep):
        manifest = os.path.join(root, "ansible_collections", "ansible", "windows", "MANIFEST.json")
        if os.path.exists(manifest):
            with open(manifest, encoding="utf-8") as handle:
                return json.load(handle)["collection_info"]["version"]
    return "unknown"


def golden_document(versions: dict, recordings: list) -> dict:
    blobs, scenarios = {}, {}
    for recording in recordings:
        scenarios[recording.scenario] = {"declared": SCENARIOS_BY_NAME[recording.scenario].declared,
                                         "requests": [pack_request(request, blobs) for request in recording.requests],
                                         "expected": recording.described}
    recorded_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"format": FORMAT, **versions, "ansible_windows": ansible_windows_version(), "recorded_at": recorded_at,
            "blobs": blobs, "scenarios": scenarios}


def report(minor: str, recordings: list) -> bool:
    good = True
    for recording in recordings:
        calls = [item.get("name") or item.get("kind") or item["type"] for item in recording.described]
        print(f"{minor} {recording.scenario:28} {'ok' if not recording.problems else 'FAILED'} {calls}")
        for problem in recording.problems:
            good = False
            print(f"    {problem}")
        if recording.problems:
            print("    " + recording.output.replace("\n", "\n    ")[-2000:])
    return good


def record_minor(minor: str, options) -> bool:
    venv = os.path.join(options.venv_root, f"core-{minor}")
    if not os.path.exists(os.path.join(venv, "bin", "ansible-playbook")):
        print(f"{minor}: no recorder venv at {venv}; create it as the module docstring says")
        return False
    scenarios = [SCENARIOS_BY_NAME[name] for name in options.scenario] if options.scenario else SCENARIOS
    recordings = record_scenarios(os.path.join(venv, "bin", "ansible-playbook"), scenarios)
    if not report(minor, recordings):
        return False
    if not (options.dry_run or options.scenario):
        path = os.path.join(options.golden_dir, f"core-{minor}.json.gz")
        write_golden(path, golden_document(venv_versions(venv), recordings))
        print(f"{minor}: wrote {path} ({os.path.getsize(path)} bytes)")
    return True


def main(argv=None) -> int:
    options = parse_args(argv)
    os.environ.setdefault("ANSIBLE_COLLECTIONS_PATH", os.pathsep.join(os.path.join(REPO, path) for path in (".build/collections", ".collections")))
    os.environ.setdefault("ANSIBLE_COLLECTIONS_SCAN_SYS_PATH", "False")
    minors = options.minor or [minor for minor in MINORS if os.path.isdir(os.path.join(options.venv_root, f"core-{minor}"))]
    results = [record_minor(minor, options) for minor in minors]
    return 0 if minors and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
