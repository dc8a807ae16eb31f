{#-
  Links between the records of the two systems: one row per linked pair, with the stable
  sync key references are compared by. Kept across runs in crmsync_state.sync_links, and
  recovered from the records themselves (ForceManager extId = Salesforce Id; Salesforce
  ForceManager_Id__c = ForceManager id) and from the sync log's creates when the warehouse is
  rebuilt. An initial sync starts from no links: ForceManager's records are all replaced.
  A stored link carries the fingerprints of its last settled comparison (sync_links).
-#}
{%- set stored = state_relation('sync_links') %}
{%- set stored_columns = relation_columns(stored) %}
{%- set fingerprints = {
    'salesforce_hash': crmsync_row_hash_type(),
    'forcemanager_hash': crmsync_row_hash_type(),
    'context_hash': dbt.type_string(),
} %}

with

objects as (
  select * from {{ ref('int_sync_objects') }}
),

salesforce_records as (
  select * from {{ ref('int_salesforce__records') }}
),

forcemanager_records as (
  select * from {{ ref('int_forcemanager__records') }}
),

log_lines as (
  select * from {{ ref('stg_crmsync__sync_log_lines') }}
),

stored_links as (
  {%- if stored is not none %}
  select
    object, sync_key, salesforce_id, forcemanager_id, origin,
    {%- for name, type in fingerprints.items() %}
    cast({{ name if name in stored_columns else 'null' }} as {{ type }}) as stored_{{ name }}
    {{- ',' if not loop.last }}
    {%- endfor %}
  from {{ stored }}
  {%- else %}
  select
    cast(null as {{ dbt.type_string() }}) as object,
    cast(null as {{ dbt.type_string() }}) as sync_key,
    cast(null as {{ dbt.type_string() }}) as salesforce_id,
    cast(null as bigint) as forcemanager_id,
    cast(null as {{ dbt.type_string() }}) as origin,
    {%- for name, type in fingerprints.items() %}
    cast(null as {{ type }}) as stored_{{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
  from (select 1 as one) as empty_state
  where 1 = 0
  {%- endif %}
),

candidates as (
  select
    object, sync_key, salesforce_id, forcemanager_id, origin, 1 as priority,
    stored_salesforce_hash, stored_forcemanager_hash, stored_context_hash
  from stored_links
  union all
  -- a ForceManager record crmsync created carries the Salesforce Id it came from
  select
    object, 'sf:' || salesforce_id, salesforce_id, forcemanager_id, 'salesforce', 2,
    null, null, null
  from forcemanager_records
  where salesforce_id is not null
  union all
  -- a Salesforce record crmsync created carries the ForceManager id it came from
  select object, 'fm:' || cast(forcemanager_id as {{ dbt.type_string() }}), salesforce_id,
    forcemanager_id, 'forcemanager', 3, null, null, null
  from salesforce_records
  where forcemanager_id is not null
  union all
  -- creates the log saw but the state missed (a report that never ran)
  select
    object,
    case when direction = 'sf_to_fm' then 'sf:' || salesforce_id else 'fm:' || forcemanager_id end,
    salesforce_id,
    cast(forcemanager_id as bigint),
    case when direction = 'sf_to_fm' then 'salesforce' else 'forcemanager' end,
    4,
    null,
    null,
    null
  from log_lines
  where action = 'create'
    and status = 'success'
    and salesforce_id is not null
    and forcemanager_id is not null
),

checked as (
  select
    candidates.*,
    coalesce(not salesforce_records.is_deleted, false) as salesforce_live,
    coalesce(not forcemanager_records.is_deleted, false) as forcemanager_live
  from candidates
  inner join objects on objects.object = candidates.object
  left join salesforce_records
    on salesforce_records.object = candidates.object
    and salesforce_records.salesforce_id = candidates.salesforce_id
  left join forcemanager_records
    on forcemanager_records.object = candidates.object
    and forcemanager_records.forcemanager_id = candidates.forcemanager_id
  where objects.is_synced
    and objects.sync_mode <> 'initial'
),

-- one partner per record on each side: live records first (a ForceManager record re-created
-- after a delete replaces the deleted one), then the stored link, then the records' own marks
ranked as (
  select
    checked.*,
    row_number() over (
      partition by object, salesforce_id
      order by forcemanager_live desc, priority, forcemanager_id desc
    ) as salesforce_rank,
    row_number() over (
      partition by object, forcemanager_id
      order by salesforce_live desc, priority, salesforce_id
    ) as forcemanager_rank
  from checked
)

select
  object,
  sync_key,
  salesforce_id,
  forcemanager_id,
  origin,
  priority as link_source_priority,
  stored_salesforce_hash,
  stored_forcemanager_hash,
  stored_context_hash
from ranked
where salesforce_rank = 1
  and forcemanager_rank = 1
