{{ config(tags=['report']) }}

with

source as (
  {{ select_or_empty(source('crmsync_log', 'cycle_runs'), [
      ('cycle_id', dbt.type_string()), ('run_id', dbt.type_string()),
      ('run_started_at', dbt.type_timestamp())]) }}
)

select
  cycle_id,
  run_id,
  run_started_at
from source
