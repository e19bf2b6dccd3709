#!/usr/bin/env bash
# What tests/test_wacz_browser.py needs besides the project's venv (which holds
# selenium): Debian's chromium and chromium-driver, and ReplayWeb.page's
# prebuilt files from the npm registry.  A step that cannot be done is
# reported and skipped, never fatal: the test then skips, saying what is missing.
#
# usage: scripts/install-browser.sh DEST   (ReplayWeb.page goes to DEST/package)
set -u
DEST=${1:-.replaywebpage}
# The version the browser test was written against; its UI is driven by element names.
REPLAYWEBPAGE=replaywebpage@2.4.6

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 \
            || { apt-get update -q >/dev/null 2>&1 \
                 && apt-get install -y -q chromium chromium-driver >/dev/null 2>&1; } \
            || echo "browser: could not install chromium and chromium-driver; the browser test will skip"
    else
        echo "browser: chromium and chromium-driver are missing (apt-get install them as root); the browser test will skip"
    fi
fi

# `npm pack`, not `npm install`: the package ships its built ui.js and sw.js,
# and its source dependencies are neither needed nor always on the registry.
if [ ! -f "$DEST/package/ui.js" ]; then
    mkdir -p "$DEST"
    if ! (cd "$DEST" && tarball=$(npm pack --silent "$REPLAYWEBPAGE") && tar xzf "$tarball" && rm -f "$tarball"); then
        echo "browser: could not fetch $REPLAYWEBPAGE with npm; the browser test will skip"
    fi
fi
exit 0
