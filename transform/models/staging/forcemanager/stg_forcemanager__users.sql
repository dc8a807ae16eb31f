{{ config(materialized='view', tags=['plan']) }}  {#- unit tests feed it rows (dbt_project.yml) -#}

with

source as (
  {{ select_or_empty(source('raw_forcemanager', 'users'), [
      ('id', 'bigint'), ('name', dbt.type_string()), ('lastname', dbt.type_string()),
      ('isactive', 'boolean'), ('deleted', 'boolean'),
      ('_sdc_batched_at', dbt.type_timestamp())]) }}
),

ranked as (
  select
    *,
    row_number() over (partition by id order by _sdc_batched_at desc) as version_rank
  from source
)

select
  id as forcemanager_user_id,
  -- ForceManager keeps first and last name apart (`name`, `lastName`)
  trim(coalesce(name, '') || ' ' || coalesce(lastname, '')) as full_name,
  coalesce(isactive, true) and not coalesce(deleted, false) as is_active
from ranked
where version_rank = 1
