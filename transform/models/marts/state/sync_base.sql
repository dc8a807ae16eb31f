{#-
  The base: the canonical value of every synced field as each side held it after the last
  successful sync (one row per object, sync key and field). Only writes the sync log confirms
  move it; a failed write leaves the old base, so the record is planned again next cycle.
  A clean pair (int_record_pairs.is_clean), which the plan did not compare, keeps its base.

  Incremental per pair: a report rewrites only the pairs the plan compared, and removes those
  of a synced object that are neither clean nor rewritten (dropped by a delete, or no longer a
  pair) through one marker row each (field null), which the post-hook deletes. A clean pair's
  rows are not touched, so a quiet report writes nothing, whatever the size of the CRMs.
-#}
{{ config(
    unique_key=['object', 'sync_key'],
    incremental_strategy='delete+insert',
    post_hook='delete from {{ this }} where field is null',
) }}

with

objects as (
  select * from {{ ref('int_sync_objects') }}
  where is_synced
),

outcomes as (
  {{ write_outcomes_sql() }}
),

field_changes as (
  select * from {{ ref('int_field_changes') }}
),

clean_pairs as (
  select object, sync_key from {{ ref('int_record_pairs') }}
  where is_clean
),

-- read twice: inlined, not computed into a temporary result first (macros/planner.sql)
previous as {{ crmsync_inline() }} (
  {%- if is_incremental() %}
  select object, sync_key, field, base_salesforce, base_forcemanager from {{ this }}
  {%- else %}
  {{ empty_relation(crmsync_base_columns()) }}
  {%- endif %}
),

-- per field: the next base where its writes landed, else the previous one
resolved as (
  select
    field_changes.object,
    field_changes.sync_key,
    field_changes.field,
    case
      when outcomes.forcemanager_action = 'create' and outcomes.forcemanager_ok then 'next_create'
      when outcomes.salesforce_action = 'create' and outcomes.salesforce_ok then 'next_create'
      when outcomes.forcemanager_action = 'create' or outcomes.salesforce_action = 'create' then 'drop'
      when outcomes.forcemanager_action = 'delete' or outcomes.salesforce_action = 'delete' then
        case when outcomes.forcemanager_ok and outcomes.salesforce_ok then 'drop' else 'previous' end
      when field_changes.salesforce_state = 'live' and field_changes.forcemanager_state = 'live' then
        case
          when (not field_changes.write_forcemanager or outcomes.forcemanager_ok)
            and (not field_changes.write_salesforce or outcomes.salesforce_ok) then 'next'
          else 'previous'
        end
      else 'previous'
    end as outcome,
    case
      when outcomes.salesforce_action = 'create' then field_changes.forcemanager_as_salesforce
      when outcomes.forcemanager_action = 'create' then field_changes.salesforce_value
      else field_changes.next_base_salesforce
    end as next_base_salesforce,
    case
      when outcomes.salesforce_action = 'create' then field_changes.forcemanager_value
      -- a text ForceManager refuses was left out of the create (int_write_fields)
      when outcomes.forcemanager_action = 'create' and field_changes.is_too_long_for_forcemanager
        then null
      when outcomes.forcemanager_action = 'create' then field_changes.salesforce_as_forcemanager
      else field_changes.next_base_forcemanager
    end as next_base_forcemanager
  from field_changes
  inner join outcomes
    on outcomes.object = field_changes.object
    and outcomes.sync_key = field_changes.sync_key
),

next_state as (
  select
    resolved.object,
    resolved.sync_key,
    resolved.field,
    case when resolved.outcome = 'previous' then previous.base_salesforce
      else resolved.next_base_salesforce end as base_salesforce,
    case when resolved.outcome = 'previous' then previous.base_forcemanager
      else resolved.next_base_forcemanager end as base_forcemanager,
    resolved.outcome = 'previous' and previous.sync_key is null as is_missing
  from resolved
  left join previous
    on previous.object = resolved.object
    and previous.sync_key = resolved.sync_key
    and previous.field = resolved.field
  where resolved.outcome <> 'drop'
),

written as (
  select * from next_state
  where not is_missing
),

-- pairs whose stored rows go: not clean and not rewritten
gone as (
  select distinct previous.object, previous.sync_key
  from previous
  left join clean_pairs
    on clean_pairs.object = previous.object
    and clean_pairs.sync_key = previous.sync_key
  left join (select distinct object, sync_key from written) as rewritten
    on rewritten.object = previous.object
    and rewritten.sync_key = previous.sync_key
  where clean_pairs.sync_key is null
    and rewritten.sync_key is null
),

all_rows as (
  select object, sync_key, field, base_salesforce, base_forcemanager from written
  union all
  select
    object,
    sync_key,
    cast(null as {{ dbt.type_string() }}) as field,
    cast(null as {{ dbt.type_string() }}) as base_salesforce,
    cast(null as {{ dbt.type_string() }}) as base_forcemanager
  from gone
)

select
  all_rows.object,
  all_rows.sync_key,
  all_rows.field,
  all_rows.base_salesforce,
  all_rows.base_forcemanager,
  '{{ invocation_id }}' as updated_by_run
from all_rows
inner join objects on objects.object = all_rows.object
