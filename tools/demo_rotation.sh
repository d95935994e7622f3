#!/usr/bin/env bash
# Part 3 of `make demo`: Workflow Manager outbound certificate rotation against a lab estate with
# one Workflow Manager host and two SharePoint servers: inventory -> plan (check mode) ->
# rotation -> verification (a second run changes nothing), then a short summary from the lab.
# Usage: demo_rotation.sh WORK_DIR   (run from the repository root by tools/demo.sh)
set -euo pipefail
work=$1
python=${PYTHON:-.venv/bin/python}
lab="$work/lab"
mkdir -p "$work"
stop_lab() { "$python" -m certops_lab down --state-dir "$lab" >/dev/null 2>&1 || true; }
trap stop_lab EXIT
step() { printf '\n---- %s\n' "$*"; }
audit_length() { "$python" -m certops_lab audit --state-dir "$lab" | wc -l; }

"$python" -m certops_lab up tests/lab/topologies/wfm_sharepoint.yml --state-dir "$lab" >/dev/null
# The new certificate, as the administrator's CA would hand it over: a PFX with a password that
# lives only in the environment and in a private vars file.
CERTOPS_DEMO_PFX_PASSWORD=$("$python" -c 'import secrets; print(secrets.token_urlsafe(18))')
export CERTOPS_DEMO_PFX_PASSWORD
new=$("$python" -m certops_lab issue --state-dir "$lab" --subject CN=wfm.lab.test --dns-name wfm.lab.test \
  --pfx "$work/wfm-outbound-new.pfx" --password-env CERTOPS_DEMO_PFX_PASSWORD)
(umask 077 && "$python" -c 'import json, os, sys; json.dump({
    "wfm_sharepoint_pfx_path": sys.argv[1], "wfm_sharepoint_pfx_password": os.environ["CERTOPS_DEMO_PFX_PASSWORD"],
    "wfm_sharepoint_service_uri": "https://wfm.lab.test:12290/", "wfm_sharepoint_service_account": "LAB\\svc-wfm"},
    open(sys.argv[2], "w"))' "$work/wfm-outbound-new.pfx" "$work/rotation-vars.json")
inventory="$lab/inventory.yml"

step "Inventory before the rotation (new certificate $new)"
ansible-playbook -i "$inventory" playbooks/inventory.yml -e "certops_report_dir=$work/before" >/dev/null
cat "$work/before/certificates.md"
plan_from=$(audit_length)
step "Plan: ansible-playbook playbooks/rotate.yml --check --diff"
ansible-playbook -i "$inventory" playbooks/rotate.yml --check --diff -e "@$work/rotation-vars.json"
step "Rotation"
rotation_from=$(audit_length)
start=$(date +%s.%N)
ansible-playbook -i "$inventory" playbooks/rotate.yml -e "@$work/rotation-vars.json"
end=$(date +%s.%N)
rotation_to=$(audit_length)
step "Verification: a second run must change nothing"
ansible-playbook -i "$inventory" playbooks/rotate.yml -e "@$work/rotation-vars.json" | tee "$work/second-run.log" | tail -5
step "Summary"
"$python" tools/demo_summary.py "$lab" "$new" "$start" "$end" "$plan_from" "$rotation_from" "$rotation_to"
