{{ config(tags=['reconcile']) }}

with

source as (
  {{ select_or_empty(source('crmsync_reconcile', 'records_before'), [
      ('side', dbt.type_string()), ('object', dbt.type_string()),
      ('raw_table', dbt.type_string()), ('salesforce_id', dbt.type_string()),
      ('forcemanager_id', 'bigint'), ('is_deleted', dbt.type_boolean()),
      ('modified_at', dbt.type_timestamp()), ('row_hash', crmsync_row_hash_type()),
      ('hash_signature', dbt.type_string()), ('batched_at', dbt.type_timestamp())]) }}
)

select
  side,
  object,
  raw_table,
  case when side = 'salesforce' then salesforce_id
    else cast(forcemanager_id as {{ dbt.type_string() }}) end as record_id,
  is_deleted,
  modified_at,
  row_hash,
  hash_signature
from source
