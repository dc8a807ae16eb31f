with

source as (
  {{ select_or_empty(source('raw_salesforce', 'fields'), [
      ('object', dbt.type_string()), ('name', dbt.type_string()),
      ('label', dbt.type_string()), ('type', dbt.type_string()),
      ('custom', 'boolean'), ('createable', 'boolean'), ('updateable', 'boolean'),
      ('picklist_values', dbt.type_string()),
      ('_sdc_batched_at', dbt.type_timestamp())]) }}
),

ranked as (
  select
    *,
    row_number() over (partition by object, name order by _sdc_batched_at desc) as version_rank
  from source
)

select
  object as salesforce_object,
  name as field_name,
  label as field_label,
  lower(type) as field_type,
  coalesce(custom, lower(name) like '%\_\_c' escape '\') as is_custom,
  -- describe's write permissions; unknown (an older extract) counts as writable
  coalesce(createable, true) as is_createable,
  coalesce(updateable, true) as is_updateable,
  picklist_values
from ranked
where version_rank = 1
