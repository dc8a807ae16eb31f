{#- The ForceManager extra fields to create before this run's records carry values for them. -#}
with

custom_fields as (
  select * from {{ ref('int_custom_fields') }}
),

missing as (
  select
    resource,
    forcemanager_field,
    forcemanager_type,
    picklist_values,
    -- Salesforce tasks and events share ForceManager's calendar: one definition serves both
    row_number() over (partition by resource, lower(forcemanager_field) order by object) as definition_rank
  from custom_fields
  where not forcemanager_has_field
)

select
  '{{ invocation_id }}' as run_id,
  resource,
  forcemanager_field as {{ adapter.quote('fieldName') }},
  forcemanager_type as {{ adapter.quote('type') }},
  -- a picklist becomes a list with the same values (a JSON array of strings)
  case when forcemanager_type = 'list' then picklist_values end as {{ adapter.quote('values') }}
from missing
where definition_rank = 1
