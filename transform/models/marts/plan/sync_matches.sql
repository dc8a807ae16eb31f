{#- The initial sync's matching (initial_sync: match), readable before anything is written:
    one row per linked pair and per ambiguous or unmatched record (int_matches). Every plan
    with `match` replaces it; other plans leave it as it is. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ crmsync_clear_matches() }}",
) }}
-- depends_on: {{ ref('stg_crmsync__options') }}

select
  '{{ invocation_id }}' as run_id,
  object,
  salesforce_id,
  forcemanager_id,
  score,
  decision,
  reason
from {{ ref('int_matches') }}
