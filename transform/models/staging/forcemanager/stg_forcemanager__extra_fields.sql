with

source as (
  {{ select_or_empty(source('raw_forcemanager', 'extra_fields'), [
      ('id', 'bigint'), ('resource', dbt.type_string()), ('fieldname', dbt.type_string()),
      ('type', dbt.type_string()), ('deleted', 'boolean'),
      ('_sdc_batched_at', dbt.type_timestamp())]) }}
),

ranked as (
  select
    *,
    row_number() over (partition by resource, id order by _sdc_batched_at desc) as version_rank
  from source
)

select
  id as extra_field_id,
  lower(resource) as resource,
  fieldname as field_name,
  lower(type) as field_type
from ranked
where version_rank = 1
  and not coalesce(deleted, false)
