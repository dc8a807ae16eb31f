{{ config(materialized='view', tags=['plan']) }}  {#- unit tests feed it rows (dbt_project.yml) -#}

with

source as (
  {{ select_or_empty(source('raw_salesforce', 'user'), [
      ('id', dbt.type_string()), ('firstname', dbt.type_string()),
      ('lastname', dbt.type_string()), ('name', dbt.type_string()),
      ('isactive', 'boolean'), ('_sdc_batched_at', dbt.type_timestamp())]) }}
),

ranked as (
  select
    *,
    row_number() over (partition by id order by _sdc_batched_at desc) as version_rank
  from source
)

select
  id as salesforce_user_id,
  -- `Name` is calculated by Salesforce; build it when the extract lacks it
  coalesce(nullif(name, ''), trim(coalesce(firstname, '') || ' ' || coalesce(lastname, ''))) as full_name,
  coalesce(isactive, true) as is_active
from ranked
where version_rank = 1
