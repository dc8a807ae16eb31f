{#-
  Links between the records of the two systems: one row per linked pair, with the stable
  sync key references are compared by. Kept across runs in crmsync_state.sync_links, and
  recovered from the records themselves (ForceManager extId = Salesforce Id; Salesforce
  ForceManager_Id__c = ForceManager id) and from the sync log's creates when the warehouse is
  rebuilt. An initial sync starts from no links: ForceManager's records are all replaced
  (initial_sync: replace), or paired by int_matches (match) from the records' own links on.
  A stored link carries the fingerprints of its last settled comparison (sync_links).
-#}
{%- set stored = state_relation(source('crmsync_state', 'sync_links')) %}
{%- set stored_columns = relation_columns(stored) %}
{%- set fingerprints = {
    'salesforce_hash': crmsync_row_hash_type(),
    'forcemanager_hash': crmsync_row_hash_type(),
    'context_hash': dbt.type_string(),
} %}

{#- The stored links, the records and `flagged` are read twice each: inlined (macros/planner.sql)
    rather than computed once into a temporary result of millions of rows. -#}
with

objects as (
  select * from {{ ref('int_sync_objects') }}
),

salesforce_records as {{ crmsync_inline() }} (
  select * from {{ ref('int_salesforce__records') }}
),

forcemanager_records as {{ crmsync_inline() }} (
  select * from {{ ref('int_forcemanager__records') }}
),

log_lines as (
  select * from {{ ref('stg_crmsync__sync_log_lines') }}
),

stored_links as {{ crmsync_inline() }} (
  {%- if stored is not none %}
  select
    object, sync_key, salesforce_id, forcemanager_id, origin,
    {%- for name, type in fingerprints.items() %}
    cast({{ name if name in stored_columns else 'null' }} as {{ type }}) as stored_{{ name }}
    {{- ',' if not loop.last }}
    {%- endfor %}
  from {{ stored }}
  {%- else %}
  {%- set columns = [
      ('object', dbt.type_string()), ('sync_key', dbt.type_string()),
      ('salesforce_id', dbt.type_string()), ('forcemanager_id', dbt.type_bigint()),
      ('origin', dbt.type_string()),
  ] %}
  {%- for name, type in fingerprints.items() %}
    {%- do columns.append(('stored_' ~ name, type)) %}
  {%- endfor %}
  {{ empty_relation(columns) }}
  {%- endif %}
),

-- what the records themselves and the log say, where the stored links do not say it already
marks as (
  -- a ForceManager record crmsync created carries the Salesforce Id it came from
  select object, 'sf:' || salesforce_id as sync_key, salesforce_id, forcemanager_id,
    'salesforce' as origin, 2 as priority
  from forcemanager_records
  where salesforce_id is not null
  union all
  -- a Salesforce record crmsync created carries the ForceManager id it came from
  select object, 'fm:' || cast(forcemanager_id as {{ dbt.type_string() }}), salesforce_id,
    forcemanager_id, 'forcemanager', 3
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
    4
  from log_lines
  where action = 'create'
    and status = 'success'
    and salesforce_id is not null
    and forcemanager_id is not null
  union all
  -- initial_sync: match: the pairs the matching found (int_matches; empty otherwise)
  select object, 'sf:' || salesforce_id, salesforce_id, forcemanager_id, 'salesforce', 5
  from {{ ref('int_matches') }}
  where decision = 'linked'
),

-- marks that do not repeat a stored link (a repeat would lose to it on both sides): few on
-- a usual cycle, the records created since the last report and any link they contest
new_marks as (
  select marks.*
  from marks
  inner join objects on objects.object = marks.object
  left join stored_links
    on stored_links.object = marks.object
    and stored_links.salesforce_id = marks.salesforce_id
    and stored_links.forcemanager_id = marks.forcemanager_id
  where objects.is_synced
    -- initial_sync: match takes the records' links as int_matches checked them
    and (objects.sync_mode <> 'initial' or ({{ crmsync_is_match() }} and marks.priority = 5))
    and stored_links.object is null
),

candidates as (
  select
    stored_links.object, sync_key, salesforce_id, forcemanager_id, origin, 1 as priority,
    stored_salesforce_hash, stored_forcemanager_hash, stored_context_hash
  from stored_links
  inner join objects on objects.object = stored_links.object
  where objects.is_synced
    and objects.sync_mode <> 'initial'
  union all
  select
    object, sync_key, salesforce_id, forcemanager_id, origin, priority, null, null, null
  from new_marks
),

-- records a new mark names may have more than one candidate partner and are ranked; every
-- other candidate is a stored link, the only one of each of its records (stored links are
-- one to one), and is kept as it is
salesforce_contested as (
  select distinct object, salesforce_id from new_marks
),

forcemanager_contested as (
  select distinct object, forcemanager_id from new_marks
),

flagged as {{ crmsync_inline() }} (
  select
    candidates.*,
    salesforce_contested.object is not null or forcemanager_contested.object is not null
      as is_contested
  from candidates
  left join salesforce_contested
    on salesforce_contested.object = candidates.object
    and salesforce_contested.salesforce_id = candidates.salesforce_id
  left join forcemanager_contested
    on forcemanager_contested.object = candidates.object
    and forcemanager_contested.forcemanager_id = candidates.forcemanager_id
),

checked as (
  select
    flagged.*,
    coalesce(not salesforce_records.is_deleted, false) as salesforce_live,
    coalesce(not forcemanager_records.is_deleted, false) as forcemanager_live
  from flagged
  left join salesforce_records
    on salesforce_records.object = flagged.object
    and salesforce_records.salesforce_id = flagged.salesforce_id
  left join forcemanager_records
    on forcemanager_records.object = flagged.object
    and forcemanager_records.forcemanager_id = flagged.forcemanager_id
  where flagged.is_contested
),

-- one partner per record on each side: live records first (a ForceManager record re-created
-- after a delete replaces the deleted one), then the stored link, then the records' own marks
-- (a contested record's candidates are all contested, so each ranking sees all of them)
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
),

chosen as (
  {%- for source, condition in [
      ('flagged', 'not is_contested'),
      ('ranked', 'salesforce_rank = 1 and forcemanager_rank = 1')] %}
  select
    object, sync_key, salesforce_id, forcemanager_id, origin, priority,
    stored_salesforce_hash, stored_forcemanager_hash, stored_context_hash
  from {{ source }}
  where {{ condition }}
  {{- ' union all' if not loop.last }}
  {%- endfor %}
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
from chosen
