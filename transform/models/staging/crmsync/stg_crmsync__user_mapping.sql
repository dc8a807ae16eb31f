{{ config(materialized='view') }}  {#- unit tests feed it rows (dbt_project.yml) -#}

with

source as (
  {{ select_or_empty(source('crmsync_settings', 'user_mapping'), [
      ('salesforce_user_id', dbt.type_string()), ('forcemanager_user_id', 'bigint')]) }}
)

select
  trim(salesforce_user_id) as salesforce_user_id,
  forcemanager_user_id
from source
where salesforce_user_id is not null
  and forcemanager_user_id is not null
