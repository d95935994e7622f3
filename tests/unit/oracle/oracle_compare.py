# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Our reading of a vector file, and the verdict of comparing it with OpenSSL's."""
from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import datetime
import multiprocessing
import os
import resource
import time

from ansible_collections.certops.microsoft.plugins.module_utils._certificate import inspect_data
from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError

from oracle_openssl import DOCUMENTED_PASSWORDS, CertFacts, openssl_reading
from oracle_vectors import vector_path

AGREE = "agree"
DISAGREE = "disagree"
CLEAN_ERROR = "clean error"
CRASH = "crash"
ONLY_OPENSSL = "only openssl reads"
ONLY_CERTOPS = "only certops reads"
OUTCOMES = (AGREE, DISAGREE, CLEAN_ERROR, CRASH, ONLY_OPENSSL, ONLY_CERTOPS)
# The clock of every inspection: the facts compared do not depend on it, but inspect_data must
# not read the wall clock in a test.
FROZEN_NOW = datetime.datetime(2026, 1, 15, 12, 0, tzinfo=datetime.timezone.utc)


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The outcome for one file and what explains it."""

    path: str
    outcome: str
    detail: str


def certops_facts(data, password):
    """Our reading of one file's bytes: the sorted facts of every certificate inspect_data returns."""
    info = inspect_data(data, password=password, now=FROZEN_NOW)
    return tuple(sorted(CertFacts(cert["thumbprint"], cert["not_before"], cert["not_after"]) for cert in info["certificates"]))


def certops_outcome(data, passwords):
    """Facts from the first password we accept, else the first CertopsError; other errors escape."""
    first_error = None
    for password in passwords:
        try:
            return certops_facts(data, password)
        except CertopsError as error:
            first_error = first_error or error
    return first_error


def passwords_for(reading):
    """Ours gets OpenSSL's password (None for none); without one, every documented password."""
    if reading is None:
        return (None, *[password for password in DOCUMENTED_PASSWORDS if password])
    return (reading.password or None,)


def facts_agree(reading, ours):
    """Equal certificate facts; for an incomplete OpenSSL reading, OpenSSL's are among ours."""
    if reading.complete:
        return reading.certificates == ours
    return not collections.Counter(reading.certificates) - collections.Counter(ours)


def classify(reading, ours):
    """(outcome, detail) from OpenSSL's reading (None: unread) and ours (facts or CertopsError)."""
    if isinstance(ours, CertopsError):
        return (CLEAN_ERROR, str(ours)) if reading is None else (ONLY_OPENSSL, f"{reading.command}; ours: {ours}")
    if reading is None:
        return ONLY_CERTOPS, f"{len(ours)} certificate(s) that no openssl command reads"
    if facts_agree(reading, ours):
        return AGREE, reading.command
    return DISAGREE, f"openssl ({reading.command}): {reading.certificates}; ours: {ours}"


def examine(relative):
    """Verdict for one vector file; anything but a CertopsError from our side is a crash."""
    path = vector_path(relative)
    reading = openssl_reading(path)
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        ours = certops_outcome(data, passwords_for(reading))
    except Exception as error:  # pylint: disable=broad-exception-caught  # a crash is a verdict
        return Verdict(relative, CRASH, f"{type(error).__name__}: {error}")
    return Verdict(relative, *classify(reading, ours))


def children_cpu_seconds():
    """CPU seconds of every finished child process (workers and their openssl children)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def examine_all(relatives, workers=None):
    """Verdicts for every file, in parallel processes, and the wall and CPU seconds they took.

    Processes, not threads: our side is Python (PFX key derivation holds the GIL for a third of
    the CPU time). Forked workers inherit the collection loader pytest installed; two per CPU
    because each worker spends half its time waiting for an openssl child.
    """
    workers = workers or 2 * (os.cpu_count() or 1)
    started, cpu_before = time.monotonic(), children_cpu_seconds()
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
        verdicts = list(pool.map(examine, relatives, chunksize=8))
    return verdicts, time.monotonic() - started, children_cpu_seconds() - cpu_before


def outcome_counts(verdicts):
    """Count per outcome, every outcome present (zero included)."""
    counted = collections.Counter(verdict.outcome for verdict in verdicts)
    return {outcome: counted.get(outcome, 0) for outcome in OUTCOMES}
