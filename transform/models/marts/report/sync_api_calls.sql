{#-
  API calls per run, step and side (docs/contracts.md section 4): what each step of a cycle
  sent to each CRM, retries and logins included. A cycle's calls carry the run id of the plan it
  built (as sync_stats does): as collect-log recorded it, or as the cycle's targets read it from
  their rows (a cycle killed after its plan); or the cycle's own id when it built none (stopped
  before the plan, a dry run whose plan a later cycle replaced). Rebuilt from every call file ever loaded.
-#}

with

counts as (
  select * from {{ ref('stg_crmsync__api_call_counts') }}
),

cycle_runs as (
  select * from {{ ref('stg_crmsync__cycle_runs') }}
),

-- the plan's run id as the cycle's targets read it from the rows they wrote
stated_runs as (
  select cycle_id, max(run_id) as run_id
  from counts
  where run_id is not null
  group by cycle_id
),

mapped as (
  select
    coalesce(cycle_runs.run_id, stated_runs.run_id, counts.cycle_id) as run_id,
    counts.step,
    counts.side,
    counts.auth,
    counts.reads,
    counts.writes,
    counts.retried,
    counts.calls,
    counts.started_at
  from counts
  left join cycle_runs on cycle_runs.cycle_id = counts.cycle_id
  left join stated_runs on stated_runs.cycle_id = counts.cycle_id
)

select
  run_id,
  step,
  side,
  sum(auth) as auth,
  sum(reads) as reads,
  sum(writes) as writes,
  sum(retried) as retried,
  sum(calls) as calls,
  min(started_at) as step_started_at
from mapped
group by run_id, step, side
