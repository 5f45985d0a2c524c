#!/usr/bin/env bash
# Install what ogedge needs on Debian/Ubuntu: system packages (as root, only when missing),
# then a virtualenv in .venv with the project. Shared by ./dev and the Dockerfile.
#   scripts/install.sh run    runtime: Python 3.11+, fonts, redis-server (the embedded Redis
#                             `ogedge serve` runs when no OGEDGE_REDIS_URL is set)
#   scripts/install.sh test   runtime + the dev/test Python packages + Debian's chromium (the
#                             browser tests drive it with Playwright; no browser is downloaded)
#   scripts/install.sh bench  test + nginx (the comparison baseline) and wrk (its load generator)
set -euo pipefail
mode=${1:-run}
cd "$(dirname "$0")/.."

FONT_PKGS="fontconfig fonts-dejavu-core fonts-inter fonts-noto-core fonts-noto-color-emoji fonts-noto-cjk"
PY_PKGS="python3 python3-venv python3-pip ca-certificates"
REDIS_PKGS="redis-server"
BROWSER_PKGS="chromium"
pkgs="$PY_PKGS $FONT_PKGS $REDIS_PKGS"
[ "$mode" != run ] && pkgs="$pkgs $BROWSER_PKGS"
[ "$mode" = bench ] && pkgs="$pkgs nginx wrk"

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
  for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
  done
fi
# A Python other than Debian's (pyenv, a container image) is fine when it is new enough.
if command -v python3 >/dev/null 2>&1 && python3 -c 'import sys, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  missing=$(echo "$missing" | tr ' ' '\n' | grep -vxE 'python3|python3-venv|python3-pip' | tr '\n' ' ' || true)
fi
if [ -n "${missing// /}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "install: apt-get install$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "install: missing system packages:$missing" >&2
    echo "install: run as root on Debian/Ubuntu, or install them yourself (apt-get install$missing)" >&2
    exit 1
  fi
fi

extras=""
[ "$mode" != run ] && extras="[dev]"
stamp=".venv/.installed-$mode-$(sha256sum pyproject.toml | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  [ -x .venv/bin/python ] || python3 -m venv .venv
  log=.venv/install.log
  echo "install: pip install -e .$extras into .venv (log: $log)" >&2
  if ! { .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip &&
         .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extras"; } >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "install: pip install failed" >&2
    exit 1
  fi
  rm -f .venv/.installed-"$mode"-* && touch "$stamp"
fi

# Bytecode for our own modules, as pip writes it for a wheel's: an editable install leaves
# none, and where PYTHONDONTWRITEBYTECODE is set every start would compile them again (tens
# of ms of each `ogedge render`). Up-to-date files are skipped, so this is cheap every time.
.venv/bin/python -m compileall -q -j 0 config proxy renderer >/dev/null

# bench: the Node peers of scripts/bench_render_peers.py (satori + resvg, Takumi), exactly as
# their package-lock.json files pin them. Benchmark-only: nothing at run time needs Node.
if [ "$mode" = bench ]; then
  if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    for dir in scripts/satori scripts/takumi; do
      if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
         [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
        echo "install: npm ci in $dir" >&2
        if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2; then
          echo "install: npm ci in $dir failed" >&2
          exit 1
        fi
      fi
    done
  else
    echo "install: node and npm not found (Node.js 18+); the render comparison will skip satori and Takumi" >&2
  fi
fi
