# Copyright: contributors to certops.microsoft
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-host execution: decode, count, inject faults, run the twin, audit, check invariants, persist.

``EstateRuntime`` owns everything one estate shares (state, clock, faults, audit, violations, one
lock); ``HostRuntime`` is what the WS-Man server calls for each WinRS command of one host.
Twin execution and the invariant check run under the estate lock, because the product models
span hosts; a ``slow`` fault sleeps outside it so one slow host never stalls the others.
"""
from __future__ import annotations

import json
import os
import threading
import time
from typing import Optional

from certops_lab import decoding, invariants, twins
from certops_lab.audit import AuditLog, AuditRecord, mask_arguments
from certops_lab.clock import LabClock, isoformat
from certops_lab.contracts import (LOST_ANSWER_FAULTS, TRANSPORT_FAULTS, CallContext, ExecRequest, ExecResult,
                                   InjectedFault, InternalAction, ModuleCall, RawCommand)
from certops_lab.faults import FaultPlan
from certops_lab.invariants import ViolationLog, ViolationRecord
from certops_lab.rawcommands import clixml_error, run_raw
from certops_lab.state import Estate, encode_products
from certops_lab.twins.powershell import ErrorInfo, terminating_error_result
from certops_lab.twins.registry import UnhandledException, resolve as resolve_module_name
from certops_lab.twins.read_script import READ_RUNNER
from certops_lab.twins.scripts import marker_of

STATE_FILE = "state.json"
AUDIT_FILE = "audit.jsonl"


def script_marker(call: ModuleCall) -> Optional[str]:
    """The certops script a win_powershell call runs, from the marker line of its script."""
    script = call.args.get("script") if isinstance(call.args, dict) else None
    return marker_of(script) if isinstance(script, str) else None


def cmdlet_error_result(module: str, message: str) -> dict:
    """What the module returns when a cmdlet in it throws: win_powershell reports the script's
    error record, certops' read runner its FailJson; other modules fail through Ansible.Basic's
    unhandled-exception handler."""
    if module == "ansible.windows.win_powershell":
        return terminating_error_result(ErrorInfo(message))
    if module == READ_RUNNER:
        return {"changed": False, "failed": True, "msg": f"the script failed: {message}"}
    return dict(UnhandledException(message).result(), changed=False)


def write_json_atomically(path: str, data: dict) -> None:
    """Readers see the old file or the new one, never half of one; owner-only, as it holds the lab's private keys."""
    temporary = f"{path}.tmp{os.getpid()}.{threading.get_ident()}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle, sort_keys=True, default=str)
    os.replace(temporary, path)


class EstateRuntime:
    """One simulated estate: hosts, products, clock, faults, audit, violations, persistence."""

    def __init__(self, estate, state_dir: Optional[str] = None, faults: Optional[FaultPlan] = None,
                 violations: Optional[ViolationLog] = None, call_counts: Optional[dict] = None):
        invariants.load_product_models()
        self.estate = estate
        self.clock = LabClock(estate)
        self.state_dir = state_dir
        self.faults = faults or FaultPlan()
        self.violations = violations or ViolationLog()
        self.call_counts = dict(call_counts or {})
        self.audit = AuditLog(os.path.join(state_dir, AUDIT_FILE) if state_dir else None)
        self.lock = threading.RLock()
        self._hosts = {name: HostRuntime(self, name) for name in estate.hosts}

    # --- plumbing shared by the hosts ------------------------------------------------------
    def host(self, name: str) -> "HostRuntime":
        return self._hosts[name]

    def runtime_for(self, name: str) -> "HostRuntime":
        """The callback LabServer uses to find a host's runtime."""
        return self._hosts[name]

    def next_call_number(self, host: str) -> int:
        with self.lock:
            self.call_counts[host] = self.call_counts.get(host, 0) + 1
            return self.call_counts[host]

    def snapshot(self, host: str):
        """What a call may change: its host and the cross-host product models."""
        return (self.estate.hosts[host].to_dict(), encode_products(self.estate.products))

    def record_violations(self, call_id: str, host: str, module: str, marker: Optional[str]) -> list:
        found = invariants.check_all(self.estate)
        if found:
            messages = [f"{item.invariant}: {item.message}" for item in found]
            self.violations.record(ViolationRecord(call_id, host, module, marker, messages, isoformat(self.clock.now())))
            return messages
        return []

    # --- persistence -------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {"estate": self.estate.to_dict(), "faults": self.faults.to_list(),
                "violations": self.violations.to_list(), "call_counts": dict(self.call_counts)}

    def save(self) -> None:
        if self.state_dir:
            with self.lock:
                write_json_atomically(os.path.join(self.state_dir, STATE_FILE), self.to_dict())

    @classmethod
    def from_dict(cls, data: dict, state_dir: Optional[str] = None) -> "EstateRuntime":
        return cls(Estate.from_dict(data["estate"]), state_dir, FaultPlan.from_list(data.get("faults")),
                   ViolationLog.from_list(data.get("violations")), data.get("call_counts"))

    @classmethod
    def load(cls, state_dir: str) -> "EstateRuntime":
        with open(os.path.join(state_dir, STATE_FILE), encoding="utf-8") as handle:
            return cls.from_dict(json.load(handle), state_dir)


class HostRuntime:
    """Everything the WS-Man server needs from one simulated host."""

    def __init__(self, lab: EstateRuntime, name: str):
        self.lab = lab
        self.name = name

    def execute(self, request: ExecRequest) -> ExecResult:
        try:
            decoded = decoding.decode_exec(request)
        except decoding.DecodeError as error:
            # Loud on purpose: a new ansible-core payload must fail the task, never pass unnoticed.
            return ExecResult(stderr=clixml_error(f"certops lab cannot decode this request: {error}"), rc=1)
        if isinstance(decoded, ModuleCall):
            return self.run_module_call(decoded)
        if isinstance(decoded, InternalAction):
            with self.lab.lock:
                return twins.run_internal(self.lab.estate, self.host_state, decoded)
        if isinstance(decoded, RawCommand):
            return run_raw(self.name, decoded.script)
        raise TypeError(f"decode_exec returned {type(decoded).__name__}")

    @property
    def host_state(self):
        return self.lab.estate.hosts[self.name]

    def context(self, call: ModuleCall) -> CallContext:
        become_user = (call.become or {}).get("user")
        return CallContext(self.name, call.check_mode, call.diff, become_user, self.lab.clock.now())

    def run_module_call(self, call: ModuleCall) -> ExecResult:
        number = self.lab.next_call_number(self.name)
        record = self.new_record(call, number)
        fault = self.lab.faults.take(self.name, number)
        if fault and fault.kind in TRANSPORT_FAULTS:
            record.failed, record.fault, record.rc = True, fault.kind, -1
            self.lab.audit.append(record)
            raise InjectedFault(fault.kind)
        if fault and fault.kind == "slow":
            record.fault = "slow"
            time.sleep(fault.seconds)
        if fault and fault.kind == "cmdlet-error":
            record.fault = "cmdlet-error"
            result = cmdlet_error_result(record.module, fault.message)
        else:
            result = self.run_twin(call, record)
        if fault and fault.kind in LOST_ANSWER_FAULTS:
            record.fault = fault.kind
            self.finish(record, result)
            raise InjectedFault(fault.kind.split("-", 1)[0])
        return self.finish(record, result)

    def new_record(self, call: ModuleCall, number: int) -> AuditRecord:
        module = resolve_module_name(call.name)
        return AuditRecord(call_id=f"{self.name}#{number}", time=isoformat(self.lab.clock.now()), host=self.name,
                           module=module, script=script_marker(call),
                           parameters=mask_arguments(module, call.args, call.no_log), check_mode=call.check_mode)

    def run_twin(self, call: ModuleCall, record: AuditRecord) -> dict:
        with self.lab.lock:
            before = self.lab.snapshot(self.name)
            result = twins.run_module(self.lab.estate, self.host_state, call, self.context(call))
            record.mutating = self.lab.snapshot(self.name) != before
            if record.mutating:
                record.violations = self.lab.record_violations(record.call_id, self.name, call.name, record.script)
                self.lab.save()
        return result

    def finish(self, record: AuditRecord, result: dict) -> ExecResult:
        outcome = twins.to_exec_result(result)
        record.changed = bool(result.get("changed"))
        record.failed = bool(result.get("failed")) or outcome.rc != 0
        record.rc = outcome.rc
        self.lab.audit.append(record)
        return outcome
