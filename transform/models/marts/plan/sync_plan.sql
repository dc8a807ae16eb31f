{#- The plan, readable before (dry run) and after it is applied: one row per record and
    target written, with the API fields sent. -#}
with

actions as (
  select * from {{ ref('int_record_actions') }}
),

write_fields as (
  select * from {{ ref('int_write_fields') }}
),

field_lists as (
  select
    object,
    sync_key,
    target,
    {{ dbt.listagg('api_field', "', '", 'order by field_order, api_field') }} as api_fields
  from write_fields
  group by object, sync_key, target
),

per_target as (
  select run_id, object, sync_key, salesforce_id, forcemanager_id, conflicts,
    'sf_to_fm' as direction, 'forcemanager' as target, forcemanager_action as action
  from actions
  where forcemanager_action is not null
  union all
  select run_id, object, sync_key, salesforce_id, forcemanager_id, 0,
    'fm_to_sf', 'salesforce', salesforce_action
  from actions
  where salesforce_action is not null
  union all
  -- records the target system cannot hold: listed so that they are not silently missing
  select run_id, object, sync_key, salesforce_id, forcemanager_id, 0,
    'sf_to_fm', 'forcemanager', 'skip'
  from actions
  where skip_reason is not null
)

select
  per_target.run_id,
  per_target.object,
  per_target.direction,
  per_target.action,
  per_target.sync_key,
  per_target.salesforce_id,
  per_target.forcemanager_id,
  field_lists.api_fields,
  per_target.conflicts,
  actions.skip_reason
from per_target
left join actions
  on per_target.action = 'skip'
  and actions.object = per_target.object
  and actions.sync_key = per_target.sync_key
left join field_lists
  on field_lists.object = per_target.object
  and field_lists.sync_key = per_target.sync_key
  and field_lists.target = per_target.target
