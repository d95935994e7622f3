# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The plan document every certops product produces: read -> plan -> apply -> verify.

PRIVATE to the collection: the name and location may change without notice.

A product's rules (``module_utils/_products/<product>.py``) turn the state read from every host
into a ``Plan``: ordered steps, each one exact write on one host, with make-before-break edges
(``after``) between them; waits on product timers; manual gates a person must pass; the end
state verification expects per host; and the irreversible steps, kept apart for cleanup. The
engine derives the waves (steps whose prerequisites are all in earlier waves run together) and
serialises the plan as a versioned document (``docs/schemas/plan-v1.json``). No secret is ever
part of a plan: a step names the secret inputs it needs and the apply phase fills them in.
"""
from __future__ import annotations

import dataclasses

from ansible_collections.certops.microsoft.plugins.module_utils._errors import CertopsError

SCHEMA = "certops.microsoft/plan"
SCHEMA_VERSION = 1


@dataclasses.dataclass
class Step:
    """One exact write: a certops script with its parameters or an ansible.windows module, run on ``host``
    over WinRM, or a product operation run on the controller (``controller``, e.g. a Microsoft Graph call),
    which ``host`` then only anchors in the plan's order."""

    id: str
    host: str
    phase: str                    # the product's phase name, e.g. stage, trust, activate, cleanup
    action: str                   # short, e.g. "switch outbound certificate"
    detail: str                   # one sentence a person can check
    script: str = ""              # certops script name (run through ansible.windows.win_powershell) ...
    parameters: dict = dataclasses.field(default_factory=dict)
    secrets: dict = dataclasses.field(default_factory=dict)   # script parameter -> name of a secret input
    module: str = ""              # ... or a module FQCN with its args
    module_args: dict = dataclasses.field(default_factory=dict)
    controller: str = ""          # ... or a controller-side operation of the product (RULES.controller_step)
    after: list = dataclasses.field(default_factory=list)     # ids of the steps that must be done first
    rolling: bool = False         # one host at a time, each behind a health gate
    gate: dict = dataclasses.field(default_factory=dict)      # health gate after the step: {script, parameters, expect}
    # watch after the step: {script, parameters, until, fail, interval_seconds, timeout_seconds, progress_keys}
    poll: dict = dataclasses.field(default_factory=dict)
    irreversible: bool = False    # cleanup only
    wave: int = 0                 # set by the engine

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class Wait:
    """A product timer the rotation waits for: nothing to do before ``until``; re-run after it."""

    id: str
    until: str                    # ISO 8601 UTC
    reason: str
    then: str                     # what the run after ``until`` does

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class ManualGate:
    """A step only a person can do (a portal setting): the run stops here and says exactly what to enter."""

    id: str
    title: str
    instructions: str
    values: dict = dataclasses.field(default_factory=dict)
    deadline: str = ""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class Plan:
    """What a run will do, decided from one read of every host."""

    product: str
    created: str
    hosts: dict                   # inventory host -> its role in the product
    steps: list = dataclasses.field(default_factory=list)
    cleanup: list = dataclasses.field(default_factory=list)
    expected: dict = dataclasses.field(default_factory=dict)   # host -> facts verify must find
    waits: list = dataclasses.field(default_factory=list)
    manual_gates: list = dataclasses.field(default_factory=list)
    summary: list = dataclasses.field(default_factory=list)    # lines: old -> new, what is created, what cleanup removes
    next: dict = dataclasses.field(default_factory=dict)       # the person's next action: after check, applied, cleaned
    warnings: list = dataclasses.field(default_factory=list)
    inputs: dict = dataclasses.field(default_factory=dict)     # the non-secret inputs the plan was made from

    def status(self) -> str:
        if self.manual_gates:
            return "manual_gate"
        if self.steps:
            return "ready"
        return "waiting" if self.waits else "converged"

    def to_dict(self) -> dict:
        steps, cleanup = number_waves(self.steps), number_waves(self.cleanup)
        return {"schema": SCHEMA, "version": SCHEMA_VERSION, "product": self.product, "created": self.created,
                "status": self.status(), "hosts": dict(self.hosts), "inputs": dict(self.inputs),
                "steps": [step.to_dict() for step in steps], "waves": wave_list(steps),
                "cleanup": [step.to_dict() for step in cleanup], "cleanup_waves": wave_list(cleanup),
                "expected": dict(self.expected), "waits": [wait.to_dict() for wait in self.waits],
                "manual_gates": [gate.to_dict() for gate in self.manual_gates], "summary": list(self.summary),
                "next": dict(self.next), "warnings": list(self.warnings)}


def number_waves(steps: list) -> list:
    """The steps with ``wave`` set, plan order kept: a step runs in the wave after its latest prerequisite on
    another host, or in the same wave as a prerequisite on its own host (a host applies its steps of a wave in order)."""
    placed, numbered = {}, []
    for step in steps:
        unknown = [name for name in step.after if name not in placed]
        if unknown:
            raise CertopsError(f"internal error in the plan: step {step.id} comes after {', '.join(unknown)}, "
                               "which is not an earlier step; please report this")
        wave = max((placed[name].wave + (placed[name].host != step.host) for name in step.after), default=1)
        placed[step.id] = dataclasses.replace(step, wave=wave)
        numbered.append(placed[step.id])
    return numbered


def wave_list(steps: list) -> list:
    """[{number, hosts, rolling}] for each wave, in order."""
    waves = []
    for number in sorted({step.wave for step in steps}):
        members = [step for step in steps if step.wave == number]
        hosts = list(dict.fromkeys(step.host for step in members))
        waves.append({"number": number, "hosts": hosts, "rolling": any(step.rolling for step in members)})
    return waves


def steps_of(document: dict, host: str, wave: int, cleanup: bool = False) -> list:
    """The steps of a plan document for one host in one wave, in plan order."""
    return [step for step in document.get("cleanup" if cleanup else "steps", []) if step["host"] == host and step["wave"] == wave]


def check_document(document) -> dict:
    """A plan document handed back by the role, checked to be one this version can apply."""
    if not isinstance(document, dict) or document.get("schema") != SCHEMA:
        raise CertopsError("plan: expected the plan document returned by the plan phase (schema certops.microsoft/plan); "
                           "pass the registered result's 'plan' key")
    if document.get("version") != SCHEMA_VERSION:
        raise CertopsError(f"plan: document version {document.get('version')!r} is not {SCHEMA_VERSION}, the version this collection "
                           "applies; plan again with this version")
    return document
