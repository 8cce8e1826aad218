#!/usr/bin/env bash
# Set up Segue in a local virtual environment (.venv), then launch the player or run the checks.
#
#   scripts/setup.sh run [segue args...]   install, then launch the player
#   scripts/setup.sh test [pytest args...] install with the dev tools, then ruff, mypy and pytest
#
# Environment:
#   PYTHON            interpreter to build the venv with (default: python3, must be >= 3.11)
#   SEGUE_TORCH_SPEC  how to get torch when the venv has none (default: torch==2.13.0, the CPU
#                     build on our machines); a venv that already has torch keeps it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
mode="${1:-}"
shift || true
case "$mode" in
  run | test) ;;
  *) echo "usage: scripts/setup.sh run|test [args...]" >&2; exit 2 ;;
esac

# System libraries: QtMultimedia needs libpulse0 even with no sound server (FFmpeg backend).
# Tests also generate audio with ffmpeg and start a private D-Bus for the MPRIS test.
packages=(libpulse0 libegl1 libgl1 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1)
if [ "$mode" = test ]; then packages+=(ffmpeg dbus xvfb); fi
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -c 'import sys; assert sys.version_info >= (3, 11), "Segue needs Python 3.11+"'
  "$python" -m venv .venv
fi
pip=(.venv/bin/python -m pip --disable-pip-version-check -q)
if ! .venv/bin/python -c 'import torch' >/dev/null 2>&1; then
  "${pip[@]}" install "${SEGUE_TORCH_SPEC:-torch==2.13.0}"
fi
if [ "$mode" = test ]; then
  "${pip[@]}" install -e ".[dev]"
else
  "${pip[@]}" install -e .
fi

if [ "$mode" = run ]; then
  exec .venv/bin/segue "$@"
fi

export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
exec .venv/bin/pytest "$@"
