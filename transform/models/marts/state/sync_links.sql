{#-
  The links between records, kept across runs: one row per linked record pair, by object and
  sync key, from the plan's links plus the creates this run's log confirms (with the new
  record's id). Objects that are off keep their rows.
  Each link keeps the fingerprints (int_record_pairs) of its pair's last settled comparison:
  a clean pair's, or those of a pair compared this run whose planned writes all landed. A pair
  whose writes failed keeps none, so the next plan compares it again.

  Incremental per pair, as sync_base: a report writes only the links that differ from the
  stored ones, and removes the stored links of a synced object that no longer pair through one
  marker row each (both ids null), which the post-hook deletes. A quiet report writes nothing.
-#}
{#- a state written before a column existed gains it -#}
{{ config(
    unique_key=['object', 'sync_key'],
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    post_hook='delete from {{ this }} where salesforce_id is null and forcemanager_id is null',
) }}

with

objects as (
  select * from {{ ref('int_sync_objects') }}
  where is_synced
),

plan_links as (
  select * from {{ ref('int_links') }}
),

log_lines as (
  select * from {{ ref('stg_crmsync__sync_log_lines') }}
  where action = 'create'
    and status = 'success'
),

actions as (
  select * from {{ ref('int_record_actions') }}
),

pairs as (
  select * from {{ ref('int_record_pairs') }}
),

outcomes as (
  {{ write_outcomes_sql() }}
),

fingerprints as (
  select
    pairs.object,
    pairs.sync_key,
    pairs.salesforce_hash,
    pairs.forcemanager_hash,
    pairs.context_hash
  from pairs
  left join outcomes
    on outcomes.object = pairs.object
    and outcomes.sync_key = pairs.sync_key
  where pairs.is_clean
    or (outcomes.forcemanager_ok and outcomes.salesforce_ok)
),

created_in_forcemanager as (
  select
    actions.object,
    actions.sync_key,
    actions.salesforce_id,
    cast(log_lines.forcemanager_id as bigint) as forcemanager_id,
    actions.origin
  from actions
  inner join log_lines
    on log_lines.run_id = actions.run_id
    and log_lines.object = actions.object
    and log_lines.direction = 'sf_to_fm'
    and log_lines.salesforce_id = actions.salesforce_id
  where actions.forcemanager_action = 'create'
    and log_lines.forcemanager_id is not null
),

created_in_salesforce as (
  select
    actions.object,
    actions.sync_key,
    log_lines.salesforce_id,
    actions.forcemanager_id,
    actions.origin
  from actions
  inner join log_lines
    on log_lines.run_id = actions.run_id
    and log_lines.object = actions.object
    and log_lines.direction = 'fm_to_sf'
    and log_lines.forcemanager_id = cast(actions.forcemanager_id as {{ dbt.type_string() }})
  where actions.salesforce_action = 'create'
    and log_lines.salesforce_id is not null
),

candidates as (
  select object, sync_key, salesforce_id, forcemanager_id, origin, 1 as priority
  from created_in_forcemanager
  union all
  select object, sync_key, salesforce_id, forcemanager_id, origin, 1 as priority
  from created_in_salesforce
  union all
  select object, sync_key, salesforce_id, forcemanager_id, origin, 2 as priority
  from plan_links
),

ranked as (
  select
    candidates.*,
    row_number() over (
      partition by candidates.object, candidates.sync_key order by candidates.priority
    ) as key_rank
  from candidates
  inner join objects on objects.object = candidates.object
),

links as (
  select
    ranked.object,
    ranked.sync_key,
    ranked.salesforce_id,
    ranked.forcemanager_id,
    ranked.origin,
    fingerprints.salesforce_hash,
    fingerprints.forcemanager_hash,
    fingerprints.context_hash
  from ranked
  left join fingerprints
    on fingerprints.object = ranked.object
    and fingerprints.sync_key = ranked.sync_key
  where ranked.key_rank = 1
),

{%- if is_incremental() %}
{%- set link_columns = ['salesforce_id', 'forcemanager_id', 'origin', 'salesforce_hash',
                        'forcemanager_hash', 'context_hash'] %}

stored as (
  select stored.*
  from {{ this }} as stored
  inner join objects on objects.object = stored.object
),

written as (
  select links.*
  from links
  left join stored
    on stored.object = links.object
    and stored.sync_key = links.sync_key
  where stored.sync_key is null
    {%- for column in link_columns %}
    or stored.{{ column }} is distinct from links.{{ column }}
    {%- endfor %}
),

-- stored links that no longer pair: one marker row each (its columns null, of their types)
gone as (
  select
    stored.object,
    stored.sync_key,
    {%- for column in link_columns %}
    case when 1 = 0 then stored.{{ column }} end as {{ column }}
    {{- ',' if not loop.last }}
    {%- endfor %}
  from stored
  left join links
    on links.object = stored.object
    and links.sync_key = stored.sync_key
  where links.sync_key is null
),

all_rows as (
  select * from written
  union all
  select * from gone
)
{%- else %}

all_rows as (
  select * from links
)
{%- endif %}

select
  *,
  '{{ invocation_id }}' as updated_by_run
from all_rows
