{{ config(tags=['reconcile']) }}

with

source as (
  {{ select_or_empty(source('crmsync_reconcile', 'gone'), [
      ('side', dbt.type_string()), ('object', dbt.type_string()),
      ('raw_table', dbt.type_string()), ('salesforce_id', dbt.type_string()),
      ('forcemanager_id', 'bigint')]) }}
)

select
  side,
  object,
  raw_table,
  case when side = 'salesforce' then salesforce_id
    else cast(forcemanager_id as {{ dbt.type_string() }}) end as record_id
from source
