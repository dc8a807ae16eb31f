{#- What ForceManager refuses on write: each field's maxLength and whether /schema lists it as
    required (tap-forcemanager's `fields` stream, from the schemas it reads anyway). -#}
with

source as (
  {{ select_or_empty(source('raw_forcemanager', 'fields'), [
      ('resource', dbt.type_string()), ('field', dbt.type_string()),
      ('max_length', 'bigint'), ('required', 'boolean'),
      ('_sdc_batched_at', dbt.type_timestamp())]) }}
),

ranked as (
  select
    *,
    row_number() over (partition by resource, field order by _sdc_batched_at desc) as version_rank
  from source
)

select
  lower(resource) as resource,
  field as field_name,
  max_length,
  coalesce(required, false) as is_required
from ranked
where version_rank = 1
