#!/usr/bin/env bash
# schemathesis against the release server ($PRASANG_SERVER_BIN) with demo data, without
# credentials and as a demo organizer, ids of real objects in the paths half of the time; the
# checks: not_a_server_error, status_code_conformance, content_type_conformance,
# response_schema_conformance. Fails on any failure. ~1-2 minutes on 2 cores
# (PRASANG_SCHEMATHESIS_EXAMPLES per operation and phase, default 25).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PRASANG_SERVER_BIN:?build it first: bash scripts/release-server.sh}"
: "${PRASANG_PYTHON:=target/pyenv/bin/python}"
"$PRASANG_PYTHON" scripts/reliability/schemathesis_run.py
