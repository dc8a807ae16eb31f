{{ config(tags=['report']) }}

with

source as (
  {{ select_or_empty(source('crmsync_log', 'sync_log_lines'), [
      ('synced_at', dbt.type_timestamp()), ('run_id', dbt.type_string()),
      ('object', dbt.type_string()), ('action', dbt.type_string()),
      ('direction', dbt.type_string()), ('salesforce_id', dbt.type_string()),
      ('forcemanager_id', dbt.type_string()), ('status', dbt.type_string()),
      ('error_code', dbt.type_string()), ('error_message', dbt.type_string()),
      ('source_file', dbt.type_string()), ('line_number', 'bigint')]) }}
)

select
  synced_at,
  run_id,
  object,
  action,
  direction,
  nullif(salesforce_id, '') as salesforce_id,
  nullif(forcemanager_id, '') as forcemanager_id,
  status,
  error_code,
  error_message,
  source_file,
  line_number
from source
