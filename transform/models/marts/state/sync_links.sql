{#-
  The links between records, kept across runs: one row per linked record pair, by object and
  sync key. Rewritten per synced object on every report from the plan's links plus the creates
  this run's log confirms (with the new record's id). Objects that are off keep their rows.
-#}
{{ config(unique_key='object', incremental_strategy='delete+insert') }}

with

objects as (
  select * from {{ ref('int_sync_objects') }}
  where is_synced
),

plan_links as (
  select * from {{ ref('int_links') }}
),

log_lines as (
  select * from {{ ref('stg_crmsync__sync_log_lines') }}
  where action = 'create'
    and status = 'success'
),

actions as (
  select * from {{ ref('int_record_actions') }}
),

created_in_forcemanager as (
  select
    actions.object,
    actions.sync_key,
    actions.salesforce_id,
    cast(log_lines.forcemanager_id as bigint) as forcemanager_id,
    actions.origin
  from actions
  inner join log_lines
    on log_lines.run_id = actions.run_id
    and log_lines.object = actions.object
    and log_lines.direction = 'sf_to_fm'
    and log_lines.salesforce_id = actions.salesforce_id
  where actions.forcemanager_action = 'create'
    and log_lines.forcemanager_id is not null
),

created_in_salesforce as (
  select
    actions.object,
    actions.sync_key,
    log_lines.salesforce_id,
    actions.forcemanager_id,
    actions.origin
  from actions
  inner join log_lines
    on log_lines.run_id = actions.run_id
    and log_lines.object = actions.object
    and log_lines.direction = 'fm_to_sf'
    and log_lines.forcemanager_id = cast(actions.forcemanager_id as {{ dbt.type_string() }})
  where actions.salesforce_action = 'create'
    and log_lines.salesforce_id is not null
),

candidates as (
  select object, sync_key, salesforce_id, forcemanager_id, origin, 1 as priority
  from created_in_forcemanager
  union all
  select object, sync_key, salesforce_id, forcemanager_id, origin, 1 as priority
  from created_in_salesforce
  union all
  select object, sync_key, salesforce_id, forcemanager_id, origin, 2 as priority
  from plan_links
),

ranked as (
  select
    candidates.*,
    row_number() over (
      partition by candidates.object, candidates.sync_key order by candidates.priority
    ) as key_rank
  from candidates
  inner join objects on objects.object = candidates.object
)

select
  object,
  sync_key,
  salesforce_id,
  forcemanager_id,
  origin,
  '{{ invocation_id }}' as updated_by_run
from ranked
where key_rank = 1
