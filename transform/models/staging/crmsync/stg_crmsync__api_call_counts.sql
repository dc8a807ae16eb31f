{{ config(tags=['report']) }}

with

source as (
  {{ select_or_empty(source('crmsync_log', 'api_call_counts'), [
      ('cycle_id', dbt.type_string()), ('run_id', dbt.type_string()),
      ('step', dbt.type_string()),
      ('side', dbt.type_string()), ('auth', 'bigint'), ('reads', 'bigint'),
      ('writes', 'bigint'), ('retried', 'bigint'), ('calls', 'bigint'),
      ('started_at', dbt.type_timestamp()), ('updated_at', dbt.type_timestamp()),
      ('source_file', dbt.type_string())]) }}
)

select
  cycle_id,
  run_id,
  step,
  side,
  coalesce(auth, 0) as auth,
  coalesce(reads, 0) as reads,
  coalesce(writes, 0) as writes,
  coalesce(retried, 0) as retried,
  coalesce(calls, 0) as calls,
  started_at,
  updated_at,
  source_file
from source
