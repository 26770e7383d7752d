#!/usr/bin/env bash
# Refreshes the vendored terminal front end from the npm registry:
# @xterm/xterm and @xterm/addon-fit at the versions below go to web/static
# (served and embedded as they are), their licences and the versions to
# web/vendor/. `npm pack` checks each tarball against the registry's
# integrity hash. Usage: scripts/vendor-xterm.sh (or make vendor-xterm).
set -euo pipefail

XTERM_VERSION=6.0.0
FIT_VERSION=0.11.0

root=$(cd "$(dirname "$0")/.." && pwd)
command -v npm >/dev/null || { echo "vendor-xterm: npm is needed (apt-get install npm)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "@xterm/xterm@$XTERM_VERSION" "@xterm/addon-fit@$FIT_VERSION" >/dev/null
mkdir xterm fit
tar -xzf "xterm-xterm-$XTERM_VERSION.tgz" -C xterm --strip-components=1
tar -xzf "xterm-addon-fit-$FIT_VERSION.tgz" -C fit --strip-components=1

static="$root/web/static"
vendor="$root/web/vendor"
mkdir -p "$vendor"
# The bundles without their source-map comment (the maps are not shipped).
sed '/^\/\/# sourceMappingURL=/d' xterm/lib/xterm.js >"$static/xterm.js"
cp xterm/css/xterm.css "$static/xterm.css"
sed '/^\/\/# sourceMappingURL=/d' fit/lib/addon-fit.js >"$static/xterm-addon-fit.js"
cp xterm/LICENSE "$vendor/xterm.LICENSE"
cp fit/LICENSE "$vendor/xterm-addon-fit.LICENSE" 2>/dev/null || cp xterm/LICENSE "$vendor/xterm-addon-fit.LICENSE"
{
  echo "# Vendored front-end code"
  echo
  echo "Refreshed by \`make vendor-xterm\` (scripts/vendor-xterm.sh) from the npm registry."
  echo
  echo "| package | version | licence | files in web/static |"
  echo "| --- | --- | --- | --- |"
  echo "| @xterm/xterm | $XTERM_VERSION | MIT ($(basename "$vendor")/xterm.LICENSE) | xterm.js, xterm.css |"
  echo "| @xterm/addon-fit | $FIT_VERSION | MIT ($(basename "$vendor")/xterm-addon-fit.LICENSE) | xterm-addon-fit.js |"
} >"$vendor/README.md"
echo "vendor-xterm: @xterm/xterm $XTERM_VERSION and @xterm/addon-fit $FIT_VERSION in web/static"
