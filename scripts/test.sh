#!/usr/bin/env bash
# Runs every test: builds the Wasm channel plugins (installing the wasm target), then the
# whole workspace's test suites with all features (the plugin host included), then prasang-core
# without default features, so the core keeps building and passing without the plugin host
# (it shares the target folder: after the first run only prasang-core and its tests rebuild).
# Python comes first: a virtual environment in target/pyenv with the pinned packages of
# scripts/python/requirements.txt, which Rust tests use too (PRASANG_PYTHON; PyJWT checks the
# JWKS, and PRASANG_REQUIRE_PYJWT=1 makes that test fail instead of skip without it).
set -euo pipefail
cd "$(dirname "$0")/.."
# The crates' modules import each other one way (no loops, nothing imports the crate root).
python3 scripts/check-imports.py prasang-core/src prasang-server/src
bash scripts/pyenv.sh
export PRASANG_PYTHON="$PWD/target/pyenv/bin/python"
export PRASANG_REQUIRE_PYJWT=1
bash plugins/build.sh
cargo test --workspace --all-features
cargo test -p prasang-core --no-default-features

# The suites below drive the release server (built once) and the Python package from Python.
bash scripts/release-server.sh
export PRASANG_SERVER_BIN="$PWD/target/release/prasang-server"
bash scripts/suite-browser.sh
bash scripts/suite-schemathesis.sh
bash scripts/suite-python.sh
bash scripts/suite-kafka.sh
