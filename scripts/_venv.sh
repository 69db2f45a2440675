# Shared by scripts/run and scripts/test: create .venv if missing and install the project into it.
# Every package is installed at the version pinned in constraints.txt (rebuilt on purpose by scripts/renew_constraints),
# so a fresh clone gets the versions CI tested. Re-installs only when setup.cfg, pyproject.toml or constraints.txt
# changed, so re-runs are fast.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
CONSTRAINTS="$ROOT/constraints.txt"
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
  digest="$(cat "$ROOT/setup.cfg" "$ROOT/pyproject.toml" "$CONSTRAINTS" | "$VENV/bin/python" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    # pip's output (hundreds of lines) goes to a log, shown only when something fails.
    local log="$VENV/install.log"
    echo "→ Installation des dépendances${extra:+ ($extra)} : une à deux minutes (journal : .venv/install.log)"
    if ! {
      "$VENV/bin/python" -m pip install --progress-bar off --upgrade -c "$CONSTRAINTS" pip setuptools &&
        "$VENV/bin/python" -m pip install --progress-bar off -c "$CONSTRAINTS" -e "$ROOT${extra:+[$extra]}"
    } >"$log" 2>&1; then
      echo "✗ L'installation des dépendances a échoué. Fin du journal ($log) :" >&2
      tail -n 40 "$log" >&2
      echo "✗ Corrigez la cause ci-dessus puis relancez la même commande. Si setup.cfg demande une version que" >&2
      echo "  constraints.txt exclut, renouvelez les versions épinglées : ./scripts/renew_constraints" >&2
      exit 1
    fi
    echo "$digest" > "$stamp"
  fi
}
