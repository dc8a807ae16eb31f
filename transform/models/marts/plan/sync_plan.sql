{#- The plan, readable before (dry run) and after it is applied: one row per record and
    target written, with the API fields sent, and the records skipped with the reason. -#}
with

actions as (
  select * from {{ ref('int_record_actions') }}
),

write_fields as (
  select * from {{ ref('int_write_fields') }}
),

field_changes as (
  select * from {{ ref('int_field_changes') }}
),

fields as (
  select * from {{ ref('int_object_fields') }}
),

-- field changes the target cannot take (int_field_changes), a reason per record and direction:
-- ForceManager changes to fields Salesforce does not let the API write (fm_to_sf), and
-- Salesforce countries ForceManager's countries list lacks (sf_to_fm)
field_skips as (
  select
    field_changes.object,
    field_changes.sync_key,
    skipped.direction,
    case skipped.direction
      when 'fm_to_sf' then
        'Salesforce does not allow writing '
        || {{ dbt.listagg('fields.salesforce_field', "', '", 'order by fields.field_order') }}
        || ' (formula, roll-up or system field): ForceManager''s change is not carried; '
        || 'the field syncs from Salesforce only'
      else
        'ForceManager''s countries list has no '
        || {{ dbt.listagg("substr(field_changes.salesforce_value, 11)", "', '",
            'order by fields.field_order') }}
        || ': '
        || {{ dbt.listagg('fields.salesforce_field', "', '", 'order by fields.field_order') }}
        || ' not carried to countryId'
    end as reason
  from field_changes
  inner join fields
    on fields.object = field_changes.object
    and fields.field = field_changes.field
  inner join (values ('fm_to_sf'), ('sf_to_fm')) as skipped (direction)
    on (skipped.direction = 'fm_to_sf' and field_changes.is_held_one_way)
    or (skipped.direction = 'sf_to_fm' and field_changes.is_country_unknown)
  where field_changes.is_held_one_way or field_changes.is_country_unknown
  group by field_changes.object, field_changes.sync_key, skipped.direction
),

-- Salesforce values ForceManager would refuse, left out of the write (int_field_changes)
refused_fields as (
  select
    field_changes.object,
    field_changes.sync_key,
    {{ dbt.listagg('field_changes.forcemanager_refusal', "'; '", 'order by field_changes.field_order') }}
      || ': not sent to ForceManager' as reason
  from field_changes
  inner join actions
    on actions.object = field_changes.object
    and actions.sync_key = field_changes.sync_key
  where (actions.forcemanager_action = 'create' and field_changes.is_too_long_for_forcemanager)
    or (coalesce(actions.forcemanager_action, 'update') = 'update'
      and field_changes.is_refused_by_forcemanager)
  group by field_changes.object, field_changes.sync_key
),

skip_reasons as (
  select object, sync_key,
    case when salesforce_state = 'none' then 'fm_to_sf' else 'sf_to_fm' end as direction,
    skip_reason
  from actions
  where skip_reason is not null
  union all
  select object, sync_key, direction, reason
  from field_skips
  union all
  select object, sync_key, 'sf_to_fm', reason
  from refused_fields
),

-- one skip per record and direction, with every reason
skips as (
  select
    object,
    sync_key,
    direction,
    {{ dbt.listagg('skip_reason', "'; '") }} as skip_reason
  from skip_reasons
  group by object, sync_key, direction
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
  -- records or changes the target system cannot take: listed so that they are not silently
  -- missing
  select actions.run_id, actions.object, actions.sync_key, actions.salesforce_id,
    actions.forcemanager_id, 0, skips.direction,
    case when skips.direction = 'sf_to_fm' then 'forcemanager' else 'salesforce' end, 'skip'
  from actions
  inner join skips
    on skips.object = actions.object
    and skips.sync_key = actions.sync_key
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
  skips.skip_reason
from per_target
left join skips
  on per_target.action = 'skip'
  and skips.object = per_target.object
  and skips.sync_key = per_target.sync_key
  and skips.direction = per_target.direction
left join field_lists
  on field_lists.object = per_target.object
  and field_lists.sync_key = per_target.sync_key
  and field_lists.target = per_target.target
