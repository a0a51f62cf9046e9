# Sourced by the bench-*.sh scripts (not run): the project, the shared rig and the data
# set, each overridable from the environment. Sets PROJECT (and cd's there), RIG,
# RIG_TMP, FTP_USER, FTP_PASS, ROOT, SRC and REPS.
PROJECT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$PROJECT"
RIG="$(cd "${RIG:-$PROJECT/../shared/rig}" 2>/dev/null && pwd)" \
    || { echo "rig not found (set RIG=path/to/shared/rig)" >&2; exit 1; }
export RIG_TMP="${RIG_TMP:-/tmp/ftprig}"
export FTP_USER="${FTP_USER:-ftpbench}" FTP_PASS="${FTP_PASS:-ftpbench}"
ROOT="${ROOT:-/dev/shm/ftprig/root}"
SRC="${SRC:-/dev/shm/ftprig/src}"
REPS="${REPS:-3}"
