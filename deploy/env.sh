# Sourced by the deploy scripts: the import path of shared/ and of every service package.
PYTHONPATH="$ROOT"
for dir in "$ROOT"/services/*/; do PYTHONPATH="$PYTHONPATH:${dir%/}"; done
export PYTHONPATH
