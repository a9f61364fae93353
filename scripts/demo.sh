#!/usr/bin/env bash
# Runs the demo: builds the Wasm channel plugins (email, webhook, chat) into target/plugins, then
# serves the web UI (open http://127.0.0.1:8080/) and the REST API with demo data and those
# plugins loaded; the banner prints the URL and the demo accounts. Without
# --smtp-host, booking e-mails land as .eml files in prasang-data/outbox. Extra arguments go to
# the server (e.g. --data-dir, --smtp-host; see `--help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash plugins/build.sh
exec cargo run --release -p prasang-server -- --demo --plugins-dir target/plugins "$@"
