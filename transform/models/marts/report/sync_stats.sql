{#-
  Sync statistics: one row per run, object and direction (docs/contracts.md section 4). The run
  being reported gets a row for every synced object and direction it could write, zeros
  included; runs whose log lines arrive late are counted from the log. Kept across
  `--full-refresh`.
-#}
{{ config(
    materialized='incremental',
    unique_key=['run_id', 'object', 'direction'],
    incremental_strategy='delete+insert',
    full_refresh=false,
) }}

with

objects as (
  select * from {{ ref('int_sync_objects') }}
),

log_lines as (
  select * from {{ ref('stg_crmsync__sync_log_lines') }}
),

actions as (
  select * from {{ ref('int_record_actions') }}
),

-- this run: every synced object one way, two-way objects both ways
run_rows as (
  select run_id, run_started_at, object, 'sf_to_fm' as direction
  from objects
  where is_synced
  union all
  select run_id, run_started_at, object, 'fm_to_sf' as direction
  from objects
  where is_two_way
),

log_rows as (
  select run_id, min(synced_at) as run_started_at, object, direction
  from log_lines
  group by run_id, object, direction
),

all_rows as (
  select run_id, min(run_started_at) as run_started_at, object, direction
  from (
    select * from run_rows
    union all
    select * from log_rows
  ) as unioned
  group by run_id, object, direction
),

counts as (
  select
    run_id,
    object,
    direction,
    sum(case when status = 'success' and action = 'create' then 1 else 0 end) as created,
    sum(case when status = 'success' and action = 'update' then 1 else 0 end) as updated,
    sum(case when status = 'success' and action = 'delete' then 1 else 0 end) as deleted,
    sum(case when status <> 'success' then 1 else 0 end) as failed
  from log_lines
  group by run_id, object, direction
),

-- a conflict resolves toward ForceManager: Salesforce's value is the one written
conflicts as (
  select run_id, object, 'sf_to_fm' as direction, sum(conflicts) as conflicts
  from actions
  group by run_id, object
)

select
  all_rows.run_id,
  all_rows.run_started_at,
  all_rows.object,
  all_rows.direction,
  coalesce(counts.created, 0) as created,
  coalesce(counts.updated, 0) as updated,
  coalesce(counts.deleted, 0) as deleted,
  coalesce(counts.failed, 0) as failed,
  {%- if is_incremental() %}
  coalesce(conflicts.conflicts, previous.conflicts, 0) as conflicts
  {%- else %}
  coalesce(conflicts.conflicts, 0) as conflicts
  {%- endif %}
from all_rows
left join counts
  on counts.run_id = all_rows.run_id
  and counts.object = all_rows.object
  and counts.direction = all_rows.direction
left join conflicts
  on conflicts.run_id = all_rows.run_id
  and conflicts.object = all_rows.object
  and conflicts.direction = all_rows.direction
{%- if is_incremental() %}
left join {{ this }} as previous
  on previous.run_id = all_rows.run_id
  and previous.object = all_rows.object
  and previous.direction = all_rows.direction
{%- endif %}
