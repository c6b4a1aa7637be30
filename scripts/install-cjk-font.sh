#!/usr/bin/env bash
# Install a CJK font for the weekly chart if none is present (Debian/Ubuntu, as root).
# Without one the bot still works: it sends the summary as text and logs why.
set -euo pipefail
if command -v fc-list >/dev/null && [ -n "$(fc-list :lang=zh 2>/dev/null)" ]; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get install -y -q fonts-wqy-microhei >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q fonts-wqy-microhei >/dev/null 2>&1; }
    exit $?
fi
echo "please install a CJK font, e.g. 'sudo apt-get install fonts-wqy-microhei'" >&2
exit 1
