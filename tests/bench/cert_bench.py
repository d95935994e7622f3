# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: certops.microsoft certificate inspection against community.crypto, same run.

Usage (from the repository root, with the environment of `make test`):
    .venv/bin/python tests/bench/cert_bench.py [--count 500] [--module-count N] [--parts 4] [--bulk-counts 500 4000]

Generates COUNT certificates with cryptography, then times, on the same certificates:
  module loop   certops.microsoft.certificate_info vs community.crypto.x509_certificate_info,
                looping over COUNT files (one module run per file for both), in PARTS turns that
                alternate which side goes first, so that a change of load hits both sides alike;
  one pass      certops.microsoft.certificate_info once on a bundle of all COUNT certificates
                (community.crypto has no equivalent: it reads one certificate per call);
  filter        certops.microsoft.cert_info vs community.crypto.x509_certificate_info over the
                COUNT base64 contents `slurp` would return (community.crypto needs b64decode
                first: it only takes PEM text);
  python        the two filter functions called directly, without Ansible around them;
  bulk parse    the certificate core's load_bundle on a PEM bundle of each BULK_COUNTS size
                against cryptography alone on the same PEM: a loop of load_pem_x509_certificate
                over the certificates and one load_pem_x509_certificates on the bundle (the
                floor); the best of at least BULK_REPEATS runs and BULK_MIN_SECONDS each, in turns.
Task times come from clock marks set before and after each timed task; figures go to stdout and to
tests/output/cert-bench.json. It is a script, not a test: timings are reported, not asserted.
"""
from __future__ import annotations

import argparse
import base64
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESULT_FILE = os.path.join(REPO, "tests", "output", "cert-bench.json")
NOW = datetime.datetime.now(datetime.timezone.utc)
BULK_REPEATS = 5
BULK_MIN_SECONDS = 2.0
OURS_FILTER = "certops.microsoft.cert_info"
THEIRS_FILTER = "community.crypto.x509_certificate_info"
PHASES = (
    ("module loop", "Ours: certificate_info over every file", "Theirs: x509_certificate_info over every file"),
    ("filter", "Ours: cert_info over every content", "Theirs: x509_certificate_info over every content"),
    ("one pass", "Ours: certificate_info once on the bundle", None),
)


def certificates(count):
    """COUNT distinct certificates from one CA; EC keys because 500 RSA keys take a minute to make."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench CA")])
    keys = [ec.generate_private_key(ec.SECP256R1()) for index in range(16)]
    made = []
    for index in range(count):
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"host{index:04d}.bench.example")])
        builder = x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name).public_key(keys[index % 16].public_key())
        builder = builder.serial_number(x509.random_serial_number()).not_valid_before(NOW - datetime.timedelta(days=index % 300))
        builder = builder.not_valid_after(NOW + datetime.timedelta(days=1 + index))
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(f"host{index:04d}.bench.example")]), critical=False)
        made.append(builder.sign(ca_key, hashes.SHA256()))
    return made


def write_inputs(workdir, made):
    """Files, bundle and the vars file (paths and slurp-style base64 contents) for the playbook."""
    pems = [cert.public_bytes(serialization.Encoding.PEM) for cert in made]
    paths = []
    for index, pem in enumerate(pems):
        paths.append(os.path.join(workdir, f"cert-{index:04d}.pem"))
        with open(paths[-1], "wb") as handle:
            handle.write(pem)
    bundle = os.path.join(workdir, "bundle.pem")
    with open(bundle, "wb") as handle:
        handle.write(b"".join(pems))
    contents = [base64.b64encode(pem).decode() for pem in pems]
    with open(os.path.join(workdir, "vars.json"), "w", encoding="utf-8") as handle:
        json.dump({"bench_files": paths, "bench_bundle": bundle, "bench_contents": contents}, handle)
    return pems


def part_bounds(count, parts):
    """(start, end) of each of PARTS slices that cover range(count), the last ones a file shorter when it does not divide."""
    parts = max(1, min(parts, count))
    return [(count * part // parts, count * (part + 1) // parts) for part in range(parts)]


def module_tasks(module_count, parts):
    """The module-loop tasks (the first module_count files, in parts, the sides taking turns to go first) and the one-pass task."""
    sides = [(PHASES[0][1], "certops.microsoft.certificate_info"), (PHASES[0][2], "community.crypto.x509_certificate_info")]
    tasks = []
    for part, (start, end) in enumerate(part_bounds(module_count, parts), start=1):
        for name, module in sides if part % 2 else sides[::-1]:
            tasks.append({"name": f"{name} (part {part})", module: {"path": "{{ item }}"}, "loop": "{{ bench_files[%d:%d] }}" % (start, end)})
    tasks.append({"name": PHASES[2][1], "certops.microsoft.certificate_info": {"path": "{{ bench_bundle }}"}, "register": "bench_ours_bundle"})
    return tasks


def filter_tasks():
    """The filter tasks: the same contents through each filter, results kept as facts."""
    return [
        {"name": PHASES[1][1], "ansible.builtin.set_fact": {"bench_ours_filter": "{{ bench_contents | map('%s') | list }}" % OURS_FILTER}},
        {"name": PHASES[1][2], "ansible.builtin.set_fact": {
            "bench_theirs_filter": "{{ bench_contents | map('b64decode') | map('%s') | list }}" % THEIRS_FILTER}},
        {"name": "Check both filters read every certificate alike", "ansible.builtin.assert": {"that": [
            "bench_ours_filter | map(attribute='serial_number') | map('int', base=16) | list =="
            " bench_theirs_filter | map(attribute='serial_number') | list"]}},
    ]


def mark(label):
    """A task recording the controller's clock: ansible-core 2.19+ ships no timing callback."""
    return {"name": f"Mark {label}", "ansible.builtin.set_fact": {
        "bench_marks": "{{ bench_marks | default({}) | combine({'%s': now(utc=true).timestamp()}) }}" % label}}


def timed_tasks(tasks):
    """Each task between a start and an end mark, named after the task."""
    wrapped = []
    for task in tasks:
        wrapped += [mark("start " + task["name"]), task, mark("end " + task["name"])] if task["name"].startswith(("Ours", "Theirs")) else [task]
    return wrapped


def run_playbook(workdir, module_count, parts):
    """Run the generated playbook once; return the marks it wrote."""
    marks = os.path.join(workdir, "marks.json")
    write_marks = {"name": "Write the marks", "ansible.builtin.copy": {"content": "{{ bench_marks | to_json }}", "dest": marks, "mode": "0600"}}
    tasks = timed_tasks((module_tasks(module_count, parts) if module_count else []) + filter_tasks()) + [write_marks]
    play = [{"name": "Benchmark certificate inspection", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}]
    playbook = os.path.join(workdir, "bench.yml")
    with open(playbook, "w", encoding="utf-8") as handle:
        json.dump(play, handle)
    env = dict(os.environ, ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    done = subprocess.run(["ansible-playbook", "-i", "localhost,", playbook, "-e", "@" + os.path.join(workdir, "vars.json")],
                          capture_output=True, text=True, env=env, check=False, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"benchmark playbook failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    with open(marks, encoding="utf-8") as handle:
        return json.load(handle)


def task_seconds(marks):
    """{task name: seconds} from the start and end marks; the parts of a module loop add up under the loop's name."""
    seconds = {}
    for label, when in marks.items():
        if label.startswith("end "):
            name = label[len("end "):]
            phase = re.sub(r" \(part \d+\)$", "", name)
            seconds[phase] = seconds.get(phase, 0) + when - marks["start " + name]
    return seconds


def python_seconds(pems):
    """Seconds for the two filter functions over the same contents, called directly."""
    from ansible.plugins.loader import filter_loader  # pylint: disable=import-outside-toplevel

    ours, theirs = filter_loader.get(OURS_FILTER).j2_function, filter_loader.get(THEIRS_FILTER).j2_function
    contents = [base64.b64encode(pem).decode() for pem in pems]
    texts = [pem.decode() for pem in pems]
    return {"ours": timed(lambda: [ours(content) for content in contents]), "theirs": timed(lambda: [theirs(text) for text in texts])}


def timed(work):
    """Wall seconds of one call."""
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def best_of_each(works, repeats=BULK_REPEATS, min_seconds=BULK_MIN_SECONDS):
    """{name: the shortest run of works[name]}, the works taking turns in every round, for at least
    ``repeats`` rounds and ``min_seconds``: a bundle of 500 takes milliseconds, and a busy machine
    needs many rounds before one of them runs undisturbed."""
    runs, rounds, started = {name: [] for name in works}, 0, time.perf_counter()
    while rounds < repeats or time.perf_counter() - started < min_seconds:
        for name, work in works.items():
            runs[name].append(timed(work))
        rounds += 1
    return {name: min(seconds) for name, seconds in runs.items()}


def bulk_row(pems):
    """load_bundle on the bundle of pems against cryptography alone on the same PEM."""
    from ansible_collections.certops.microsoft.plugins.module_utils._cert_load import load_bundle  # pylint: disable=import-outside-toplevel

    bundle = b"".join(pems)
    best = best_of_each({
        "load_bundle_s": lambda: load_bundle(bundle),
        "cryptography_loop_s": lambda: [x509.load_pem_x509_certificate(pem) for pem in pems],
        "cryptography_bundle_s": lambda: x509.load_pem_x509_certificates(bundle),
    })
    row = {name: round(seconds, 4) for name, seconds in best.items()}
    row["over_loop"] = round(best["load_bundle_s"] / best["cryptography_loop_s"], 2)
    row["over_bundle"] = round(best["load_bundle_s"] / best["cryptography_bundle_s"], 2)
    return row


def bulk_figures(pems, counts):
    """{count: bulk_row} for the first count certificates of pems, for each count."""
    return {str(count): bulk_row(pems[:count]) for count in counts}


def figures(seconds, python, count, module_count):
    """Per phase: seconds for each side and theirs/ours (above 1: ours is faster)."""
    table = {}
    for phase, ours_task, theirs_task in PHASES:
        if ours_task in seconds:
            # One pass has no community.crypto twin: compare with its loop, scaled to every file.
            theirs = seconds.get(theirs_task) if theirs_task else seconds.get(PHASES[0][2], 0) * count / max(module_count, 1)
            table[phase] = {"ours_s": round(seconds[ours_task], 3), "theirs_s": round(theirs, 3) if theirs else None,
                            "theirs_over_ours": round(theirs / seconds[ours_task], 2) if theirs else None}
    table["python"] = {"ours_s": round(python["ours"], 3), "theirs_s": round(python["theirs"], 3),
                       "theirs_over_ours": round(python["theirs"] / python["ours"], 2)}
    return {"certificates": count, "module_loop_files": module_count, "phases": table, "cpus": os.cpu_count()}


def main(argv=None):
    """Generate, run, report."""
    parser = argparse.ArgumentParser(description="certops.microsoft vs community.crypto certificate inspection")
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--module-count", type=int, help="files the module loops cover (default: all; 0 skips them, they take minutes)")
    parser.add_argument("--parts", type=int, default=4, help="turns the module loops are split into (default 4)")
    parser.add_argument("--bulk-counts", type=int, nargs="*", default=[500, 4000], help="bundle sizes of the bulk parse (default 500 4000)")
    args = parser.parse_args(argv)
    module_count = args.count if args.module_count is None else min(args.module_count, args.count)
    from ansible.plugins.loader import init_plugin_loader  # pylint: disable=import-outside-toplevel

    init_plugin_loader()  # the collection loader, for the filters and the certificate core
    made = certificates(max([args.count] + args.bulk_counts))
    with tempfile.TemporaryDirectory(prefix="cert-bench-") as workdir:
        pems = write_inputs(workdir, made[:args.count])
        python = python_seconds(pems)
        bulk = bulk_figures([cert.public_bytes(serialization.Encoding.PEM) for cert in made], args.bulk_counts)
        load_before = os.getloadavg()[0]
        result = figures(task_seconds(run_playbook(workdir, module_count, args.parts)), python, args.count, module_count)
    result["bulk_parse"] = bulk
    # Both sides run in the same playbook, so the ratio survives a busy machine better than the seconds do.
    result["load_average_1min"] = {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)}
    os.makedirs(os.path.dirname(RESULT_FILE), exist_ok=True)
    with open(RESULT_FILE, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2)
    for phase, row in result["phases"].items():
        print(f"{phase:12} ours {row['ours_s']:8.3f}s  community.crypto {row['theirs_s'] or 0:8.3f}s  ratio {row['theirs_over_ours']}")
    for count, row in result["bulk_parse"].items():
        print(f"bulk parse {count:>5} certificates: load_bundle {row['load_bundle_s']:.4f}s, cryptography loop {row['cryptography_loop_s']:.4f}s"
              f" ({row['over_loop']}x), one load_pem_x509_certificates {row['cryptography_bundle_s']:.4f}s ({row['over_bundle']}x)")
    print(f"({args.count} certificates, module loops over {module_count} in {args.parts} parts; one pass: the community.crypto figure is its"
          f" module loop, scaled to {args.count} files; written to {RESULT_FILE})")
    print(f"load average {result['load_average_1min']} on {result['cpus']} CPUs")


if __name__ == "__main__":
    main()
