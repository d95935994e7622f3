#!/usr/bin/env bash
# `make demo`: the collection's main job end to end against the built-in lab.
#   1. the certificate core on a generated set of controller-side certificate files;
#   2. the demo estate (tools/demo_estate.py): AD FS + Entra, Exchange, Workflow Manager + SharePoint and
#      a D365 Service Fabric cluster, 14 simulated Windows hosts over real WinRM (Basic, HTTPS, NTLM) and
#      a loopback Entra over real HTTPS; the estate report before anything changes;
#   3. one plan for the whole estate (playbooks/rotate.yml --check --diff): nothing changes;
#   4. the rotation of every product in the cross-product order, then a second run that changes nothing;
#   5. the estate report after, module executions per host and the lab's invariant violations.
# Everything lands in .build/demo/; the lab is stopped on exit, whatever happens.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
work="$repo/.build/demo"
rm -rf "$work" && mkdir -p "$work"
export PYTHONPATH="$repo/tests/lab${PYTHONPATH:+:$PYTHONPATH}"
export ANSIBLE_FORCE_COLOR=0 ANSIBLE_NOCOLOR=1 ANSIBLE_HOST_KEY_CHECKING=False
python=$repo/.venv/bin/python
banner() { printf '\n==== %s\n' "$*"; }
audit_length() { "$python" -m certops_lab audit --state-dir "$lab" | wc -l; }

banner "1/5 Certificate core: report on generated certificate files"
"$python" tools/demo_certificates.py "$work/certificates" >/dev/null
ansible-playbook -i localhost, -c local playbooks/certificate_report.yml \
  -e "@$work/certificates/demo-vars.json" -e "certificate_report_output=$work/certificate-report.json"

banner "2/5 The demo estate: every product on simulated Windows hosts over WinRM; the estate report"
lab="$work/lab"
stop_lab() { "$python" -m certops_lab down --state-dir "$lab" >/dev/null 2>&1 || true; }
trap stop_lab EXIT
"$python" tools/demo_estate.py topology "$work/estate.yml"
inventory=$("$python" -m certops_lab up "$work/estate.yml" --state-dir "$lab")
# What the administrator brings: new certificates from their CA as PFX files, a Graph app secret;
# the secrets are random and live only in this 0600 vars file, never on a command line.
"$python" tools/demo_estate.py prepare "$lab" "$work/rotation-vars.json"
ansible-playbook -i "$inventory" playbooks/report.yml -e "@$work/rotation-vars.json" -e "certops_report_dir=$work/report-before"
cat "$work/report-before/estate.md"

banner "3/5 One plan for the estate: ansible-playbook playbooks/rotate.yml --check --diff"
plan_from=$(audit_length)
ansible-playbook -i "$inventory" playbooks/rotate.yml --check --diff -e "@$work/rotation-vars.json"

banner "4/5 The rotation, product by product, then a second run that changes nothing"
rotation_from=$(audit_length)
ansible-playbook -i "$inventory" playbooks/rotate.yml -e "@$work/rotation-vars.json"
second_from=$(audit_length)
ansible-playbook -i "$inventory" playbooks/rotate.yml -e "@$work/rotation-vars.json" | tee "$work/second-run.log" | tail -18
second_to=$(audit_length)

banner "5/5 The estate report after the rotation"
ansible-playbook -i "$inventory" playbooks/report.yml -e "@$work/rotation-vars.json" -e "certops_report_dir=$work/report-after"
cat "$work/report-after/estate.md"
"$python" tools/demo_estate.py summary "$lab" "$plan_from" "$rotation_from" "$second_from" "$second_to"
banner "Done: reports under $work"
