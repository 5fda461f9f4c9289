#!/usr/bin/env bash
# Install what is missing, idempotently: uv, the two virtual environments, the web page's
# npm packages. Fast the second time: each step is skipped while its lock file is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

find_python() {  # $1 = version, e.g. 3.10
  local candidate
  for candidate in "python$1" "$(PYENV_VERSION="$(pyenv versions --bare 2>/dev/null | grep -E "^$1(\.|$)" | tail -n1)" pyenv which python 2>/dev/null || true)"; do
    if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 \
      && "$candidate" -c "import sys; sys.exit(0 if sys.version.startswith('$1') else 1)" 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  echo "Python $1 not found: install it (e.g. 'pyenv install $1') and run again" >&2
  return 1
}

if ! command -v uv >/dev/null 2>&1; then
  say "installing uv"
  python3 -m pip install --quiet uv
fi

build_venv() {  # $1 = folder, $2 = python version, $3 = lock file
  local folder=$1 version=$2 lock=$3 want
  want=$(hash_of "$lock")
  if [ -x "$folder/bin/python" ] && stamp_ok "$folder/.lock.sha256" "$want"; then
    return 0
  fi
  say "building $folder (Python $version) from $lock"
  [ -x "$folder/bin/python" ] || uv venv --quiet --python "$(find_python "$version")" "$folder"
  uv pip install --quiet --python "$folder/bin/python" -r "$lock"
  echo "$want" > "$folder/.lock.sha256"
}

build_venv .venv 3.11 requirements/dev.txt
build_venv .venv-rasa 3.10 requirements/rasa.txt

want=$(hash_of package.json package-lock.json)
if [ ! -d node_modules ] || ! stamp_ok node_modules/.lock.sha256 "$want"; then
  say "installing the web page's npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > node_modules/.lock.sha256
fi
