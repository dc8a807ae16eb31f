{{ config(materialized='view') }}  {#- unit tests feed it rows (dbt_project.yml) -#}

with

source as (
  {{ select_or_empty(source('crmsync_settings', 'match_overrides'), [
      ('action', dbt.type_string()), ('object', dbt.type_string()),
      ('salesforce_id', dbt.type_string()), ('forcemanager_id', 'bigint')]) }}
)

select
  action,
  object,
  trim(salesforce_id) as salesforce_id,
  forcemanager_id
from source
where action in ('force', 'forbid')
  and salesforce_id is not null
  and forcemanager_id is not null
