{#- Every sync-log line ever loaded: one row per record a target wrote (docs/contracts.md
    section 4), plus where the line came from. Kept across `--full-refresh`. -#}
{{ config(
    materialized='incremental',
    unique_key=['source_file', 'line_number'],
    incremental_strategy='delete+insert',
    full_refresh=false,
) }}

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
  error_message,
  source_file,
  line_number
from {{ ref('stg_crmsync__sync_log_lines') }}
