#!/usr/bin/env bash
# Runs every test: builds the Wasm channel plugins (installing the wasm target), then the
# whole workspace's test suites with all features (the plugin host included), then prasang-core
# without default features, so the core keeps building and passing without the plugin host
# (it shares the target folder: after the first run only prasang-core and its tests rebuild).
# PRASANG_REQUIRE_PYJWT=1 (set by .ci/run) makes the JWKS test fail instead of skip when PyJWT
# is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash plugins/build.sh
cargo test --workspace --all-features
cargo test -p prasang-core --no-default-features

# The suites below drive the release server and the Python package from Python (pytest and
# friends in target/pyenv, pinned in scripts/python/requirements.txt).
bash scripts/pyenv.sh
bash scripts/release-server.sh
export PRASANG_PYTHON="$PWD/target/pyenv/bin/python"
export PRASANG_SERVER_BIN="$PWD/target/release/prasang-server"
