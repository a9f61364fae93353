#!/usr/bin/env bash
# Creates (once) the Python virtual environment the Python-driven suites share, in
# target/pyenv, and installs the pinned packages of scripts/python/requirements.txt into it.
# Prints nothing on success; the suites run "$PRASANG_PYTHON" (target/pyenv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/pyenv
requirements=scripts/python/requirements.txt
# A venv copied from another checkout still runs that checkout's python: start afresh.
grep -qs "$PWD/$venv" "$venv/pyvenv.cfg" || rm -rf "$venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
stamp="$venv/.requirements"
if ! cmp -s "$requirements" "$stamp"; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$stamp"
fi
