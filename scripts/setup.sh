#!/usr/bin/env bash
# Sets up a checkout: .venv with Python and dev dependencies, npm packages,
# front-end assets in build/vendor, collected static files. Safe to run again.
# Usage: scripts/setup.sh [--browser]   (--browser also installs Debian's chromium)
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  for candidate in python3.12 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ]; then
  if ! PYTHON=$(find_python); then
    echo "Coproduce needs Python 3.12 or newer (python3.12 or python3 on PATH); none was found." >&2
    exit 1
  fi
  "$PYTHON" -m venv .venv
fi

stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  touch "$stamp"
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "Coproduce needs Node.js and npm for its front-end packages; npm was not found." >&2
  exit 1
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# Front-end packages are copied from node_modules, never committed.
rm -rf build/vendor
mkdir -p build/vendor/nhsuk build/vendor/htmx
nhsuk=node_modules/nhsuk-frontend/dist/nhsuk
sed 's|//# sourceMappingURL=.*$||' "$nhsuk"/nhsuk-frontend.min.js > build/vendor/nhsuk/nhsuk-frontend.min.js
# The NHS fonts are served from another host; unless asked for, drop them so that
# pages make no request off the site (the CSS falls back to Arial).
.venv/bin/python - "$nhsuk"/nhsuk-frontend.min.css build/vendor/nhsuk/nhsuk-frontend.min.css <<'PY'
import os, re, sys
css = open(sys.argv[1], encoding="utf-8").read()
css = re.sub(r"/\*# sourceMappingURL=[^*]*\*/", "", css)
css = css.replace("url(/assets/", "url(assets/")  # the package's images, served beside the CSS
if os.environ.get("COPRODUCE_NHS_FONTS", "0") not in ("1", "true", "yes", "on"):
    css = re.sub(r"@font-face\{[^}]*\}", "", css)
open(sys.argv[2], "w", encoding="utf-8").write(css)
PY
cp -r "$nhsuk"/assets build/vendor/nhsuk/assets
sed 's|//# sourceMappingURL=.*$||' node_modules/htmx.org/dist/htmx.min.js > build/vendor/htmx/htmx.min.js

COPRODUCE_DEBUG=1 .venv/bin/coproduce collectstatic --noinput --verbosity 0

# WeasyPrint (briefing-paper PDFs) needs Pango and fonts; the tests also read PDFs with poppler's pdftotext.
packages=""
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' || packages="$packages libpango-1.0-0 libpangoft2-1.0-0"
# The printed paper's body type (reports/renderers/css.py): Liberation Serif, metric-compatible with
# Times; without it the PDF falls back to DejaVu Serif, which sets wider and renders slower.
[ -e /usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf ] || packages="$packages fonts-liberation"
if [ "${1:-}" = "--browser" ]; then
  [ -x /usr/bin/chromium ] || packages="$packages chromium"
  command -v pdftotext >/dev/null 2>&1 || packages="$packages poppler-utils"
fi
if [ -n "$packages" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq $packages >/dev/null
  else
    echo "Coproduce needs Debian's$packages: run 'sudo apt-get install$packages'." >&2
    exit 1
  fi
fi
