#!/usr/bin/env bash
# Run one crmsync job, for cron: `flock -n LOCK orchestrate/run-job.sh ENVIRONMENT JOB`.
# The lock keeps cycles from overlapping: DuckDB admits one writer per warehouse file.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 ENVIRONMENT JOB   (e.g. $0 prod sync-incremental)" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
# Everything the cycle writes (warehouse, sync log, Meltano's database, state and run files,
# logs) is readable by its owner only.
umask 077
# The 15-minute cycle asks both CRMs first whether it has anything to do (`crmsync probe`): a
# quiet cycle is recorded there and Meltano does not start. Anything else, or a probe that cannot
# tell, runs the job. CRMSYNC_QUIET_PROBE=false always runs the job.
if [ "$2" = sync-incremental ] && [ "${CRMSYNC_QUIET_PROBE:-true}" != false ]; then
  if .venv/bin/crmsync probe; then
    exit 0
  fi
fi
# --force: a cycle killed mid-run leaves its job marked running until Meltano's heartbeat
# timeout; the lock already guarantees no other cycle is running, so the next one may start.
exec .venv/bin/meltano --environment="$1" run --force "$2"
