{#- This plan's conflicts: one row per record and field changed on both sides to different
    values since the last sync; Salesforce's value is the one written. -#}
with

field_changes as (
  select * from {{ ref('int_field_changes') }}
  where is_conflict
),

actions as (
  select * from {{ ref('int_record_actions') }}
)

select
  actions.run_id,
  field_changes.object,
  field_changes.sync_key,
  actions.salesforce_id,
  actions.forcemanager_id,
  field_changes.field,
  field_changes.base_salesforce,
  field_changes.salesforce_value,
  field_changes.base_forcemanager,
  field_changes.forcemanager_value,
  field_changes.salesforce_as_forcemanager as resolved_value
from field_changes
inner join actions
  on actions.object = field_changes.object
  and actions.sync_key = field_changes.sync_key
