{#- The 100 most recent sync-log lines, newest first (docs/contracts.md section 4). -#}
{{ config(materialized='view') }}

with

sync_log as (
  select * from {{ ref('sync_log') }}
)

select
  synced_at,
  run_id,
  object,
  action,
  direction,
  salesforce_id,
  forcemanager_id,
  status,
  error_code,
  error_message
from sync_log
order by synced_at desc, source_file desc, line_number desc
limit 100
