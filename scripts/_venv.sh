# Shared by scripts/run and scripts/test: create .venv if missing and install the project into it.
# Re-installs only when setup.cfg or pyproject.toml changed, so re-runs are fast.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PYTHON_BIN="${PYTHON:-python3}"

ensure_venv() {
  local extra="${1:-}"
  if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON_BIN" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 ou plus est requis.")'
    echo "→ Création de l'environnement virtuel .venv"
    "$PYTHON_BIN" -m venv "$VENV"
  fi
  local stamp="$VENV/.installed${extra:+-$extra}"
  local digest
  digest="$(cat "$ROOT/setup.cfg" "$ROOT/pyproject.toml" | "$VENV/bin/python" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    echo "→ Installation des dépendances${extra:+ ($extra)}"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT${extra:+[$extra]}"
    echo "$digest" > "$stamp"
  fi
}
