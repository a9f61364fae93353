#!/usr/bin/env bash
# The web UI's end-to-end suite: Playwright for Python (pinned in scripts/python/requirements.txt)
# drives Debian's Chromium (/usr/bin/chromium, `apt-get install chromium`; Playwright's own
# browser download is not used) against $PRASANG_SERVER_BIN started with demo data and the
# bundled plugins of target/plugins (bash plugins/build.sh; e-mail lands in the data folder's
# outbox, which the guest and widget tests read) on a free port and a temporary data folder.
# Venue pages on other origins (localhost ports) frame the booking widget. axe-core (pinned) comes from npm into target/axe for the
# accessibility check. Screenshots of the main pages (desktop and 390 px phone) land in
# target/screenshots.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PRASANG_SERVER_BIN:?set it to a prasang-server binary (scripts/test.sh builds the release one)}"
python=${PRASANG_PYTHON:-target/pyenv/bin/python}
if [ ! -x "${PRASANG_CHROMIUM:-/usr/bin/chromium}" ]; then
    echo "suite-browser: ${PRASANG_CHROMIUM:-/usr/bin/chromium} is missing (apt-get install chromium)" >&2
    exit 1
fi
axe_version=4.10.3
if ! grep -qs "\"version\": \"$axe_version\"" target/axe/node_modules/axe-core/package.json; then
    npm install --silent --no-audit --no-fund --prefix target/axe "axe-core@$axe_version" >/dev/null
fi
# The server starter the Python suites share is in scripts/python.
PYTHONPATH="$PWD/scripts/python${PYTHONPATH:+:$PYTHONPATH}" \
    "$python" -m pytest -q -p no:cacheprovider prasang-server/tests/browser
