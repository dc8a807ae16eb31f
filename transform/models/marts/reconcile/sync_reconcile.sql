{#-
  What a sync-reconcile run found that no incremental cursor saw (docs/contracts.md section 4),
  appended by each run under the plan's run id: one row per record pair and side.
  - `hard delete`: a linked record the full read did not return (crmsync reconcile marked it
    deleted in the raw tables, so the plan deletes its partner as for that side's delete);
  - `missed change`: a record whose values (its row hash) changed while its modification stamp
    did not, with a synced field that now differs from the base;
  - `drift`: the same, where the pair's other side changed the same field too and the two
    differ (neither matches the base: Salesforce's value wins, as in any conflict);
  - `missing partner`: a live record the last plan never staged, whose stamp is no newer than
    the newest one that plan had seen of its table (a cursor passed it), and which the plan now
    creates on the other side.
  Built only by the sync-reconcile plan (tag `reconcile`); the heals are the plan's writes and
  are counted in sync_stats under the same run id.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
) }}

with

objects as (
  select * from {{ ref('int_sync_objects') }}
  where is_synced
),

pairs as (
  select * from {{ ref('int_record_pairs') }}
),

actions as (
  select * from {{ ref('int_record_actions') }}
),

before as (
  select * from {{ ref('stg_crmsync__records_before') }}
),

gone as (
  select * from {{ ref('stg_crmsync__gone_records') }}
),

current_records as (
  select
    'salesforce' as side, object, raw_table, salesforce_id as record_id, is_deleted,
    modified_at, row_hash, hash_signature
  from {{ ref('int_salesforce__records') }}
  union all
  select
    'forcemanager', object, raw_table,
    cast(forcemanager_id as {{ dbt.type_string() }}), is_deleted, modified_at, row_hash,
    hash_signature
  from {{ ref('int_forcemanager__records') }}
),

-- per compared pair: which side changed a synced field since the base, and any conflict
field_changes as (
  select
    object,
    sync_key,
    bool_or(salesforce_changed) as salesforce_changed,
    bool_or(forcemanager_changed) as forcemanager_changed,
    bool_or(coalesce(is_conflict, false)) as has_conflict
  from {{ ref('int_field_changes') }}
  group by object, sync_key
),

-- records whose values moved while their stamp did not
silent as (
  select current_records.side, current_records.object, current_records.record_id
  from current_records
  inner join before
    on before.side = current_records.side
    and before.raw_table = current_records.raw_table
    and before.record_id = current_records.record_id
  where not current_records.is_deleted
    and not before.is_deleted
    and before.hash_signature = current_records.hash_signature
    and before.row_hash <> current_records.row_hash
    and before.modified_at is not distinct from current_records.modified_at
),

-- the newest stamp the last plan had staged, per side and raw table
seen_until as (
  select side, raw_table, max(modified_at) as modified_at
  from before
  group by side, raw_table
),

-- live records the last plan never staged although a cursor had passed their stamp
unseen as (
  select current_records.side, current_records.object, current_records.record_id
  from current_records
  inner join seen_until
    on seen_until.side = current_records.side
    and seen_until.raw_table = current_records.raw_table
  left join before
    on before.side = current_records.side
    and before.raw_table = current_records.raw_table
    and before.record_id = current_records.record_id
  where before.record_id is null
    and not current_records.is_deleted
    and current_records.modified_at <= seen_until.modified_at
),

sides as (
  select 'salesforce' as side
  union all
  select 'forcemanager'
),

-- each pair once per side, with that side's record id
pair_sides as (
  select
    pairs.object,
    pairs.sync_key,
    pairs.salesforce_id,
    pairs.forcemanager_id,
    sides.side,
    case when sides.side = 'salesforce' then pairs.salesforce_id
      else cast(pairs.forcemanager_id as {{ dbt.type_string() }}) end as record_id
  from pairs
  cross join sides
),

found as (
  select pair_sides.*, 'hard delete' as kind
  from pair_sides
  inner join gone
    on gone.side = pair_sides.side
    and gone.object = pair_sides.object
    and gone.record_id = pair_sides.record_id
  where pair_sides.salesforce_id is not null
    and pair_sides.forcemanager_id is not null
  union all
  select
    pair_sides.*,
    case when field_changes.has_conflict then 'drift' else 'missed change' end
  from pair_sides
  inner join silent
    on silent.side = pair_sides.side
    and silent.object = pair_sides.object
    and silent.record_id = pair_sides.record_id
  inner join field_changes
    on field_changes.object = pair_sides.object
    and field_changes.sync_key = pair_sides.sync_key
  where (pair_sides.side = 'salesforce' and field_changes.salesforce_changed)
    or (pair_sides.side = 'forcemanager' and field_changes.forcemanager_changed)
  union all
  select pair_sides.*, 'missing partner'
  from pair_sides
  inner join unseen
    on unseen.side = pair_sides.side
    and unseen.object = pair_sides.object
    and unseen.record_id = pair_sides.record_id
  inner join actions
    on actions.object = pair_sides.object
    and actions.sync_key = pair_sides.sync_key
  where (pair_sides.side = 'salesforce' and actions.forcemanager_action = 'create')
    or (pair_sides.side = 'forcemanager' and actions.salesforce_action = 'create')
)

select
  objects.run_id,
  found.object,
  found.side,
  found.kind,
  found.salesforce_id,
  found.forcemanager_id
from found
inner join objects on objects.object = found.object
