#!/usr/bin/env bash
# Re-execute every researcher notebook in place, so the committed outputs match the
# current package (the test suite checks them strictly with nbval).
#   notebooks/rebuild.sh                 # all notebooks
#   notebooks/rebuild.sh 03_retelling    # one or more, by name
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
BIN="${BIN:-$here/../.venv/bin}"
cd "$here"
if [ "$#" -gt 0 ]; then
  nbs=()
  for n in "$@"; do nbs+=("${n%.ipynb}.ipynb"); done
else
  nbs=([0-9][0-9]_*.ipynb)
fi
export PYTHONHASHSEED=0 MPLBACKEND=module://matplotlib_inline.backend_inline
for nb in "${nbs[@]}"; do
  start=$(date +%s)
  "$BIN/jupyter" nbconvert --to notebook --execute --inplace \
    --ExecutePreprocessor.timeout=600 \
    --ExecutePreprocessor.kernel_name=python3 \
    --ExecutePreprocessor.record_timing=False \
    "$nb" 2> >(grep -v -E "^\[NbConvertApp\]" >&2)
  echo "$nb: $(( $(date +%s) - start )) s"
done
