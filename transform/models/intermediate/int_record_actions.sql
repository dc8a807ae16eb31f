{#-
  The plan per record pair that is not clean (a clean one plans nothing): what each target
  does with it (create, update, delete or nothing). Record rules: a record only one side has is created on the other (ForceManager
  records reach Salesforce only on two-way objects); a Salesforce delete deletes in
  ForceManager; a ForceManager delete deletes in Salesforce only on two-way objects and only
  when Salesforce did not change the record since the last sync; otherwise the record is
  re-created in ForceManager (Salesforce wins). Salesforce is never deleted from on one-way
  objects. An initial sync deletes every live ForceManager record and creates every live
  Salesforce record in ForceManager; with `initial_sync: match` it deletes nothing, pairs by
  int_matches, merges (int_field_changes), writes the link into matched records and holds
  ambiguous records back. A ForceManager create that would lack a field ForceManager's /schema
  requires (an activity without a date) is skipped with the reason, not sent to fail every
  cycle, as is a Salesforce contact ForceManager cannot take (int_record_pairs).
-#}
with

-- a clean pair plans nothing (int_record_pairs)
pairs as (
  select * from {{ ref('int_record_pairs') }}
  where not is_clean
),

field_changes as (
  select * from {{ ref('int_field_changes') }}
),

-- initial_sync: match (int_matches; empty otherwise): ambiguous records are held back, and
-- linked pairs whose records do not carry the link yet are updated with it
matches as (
  select * from {{ ref('int_matches') }}
),

-- a match plan lists every live record of the synced objects: with none there is nothing to
-- decide either way
match_mode as (
  select count(*) > 0 as is_match from matches
),

-- ambiguous records are held back, in the match plan and after it (int_held_records)
held as (
  select * from {{ ref('int_held_records') }}
),

link_writes as (
  select object, salesforce_id, forcemanager_id, needs_forcemanager_link, needs_salesforce_link
  from matches
  where decision = 'linked'
    and (needs_forcemanager_link or needs_salesforce_link)
),

per_record as (
  select
    object,
    sync_key,
    bool_or(has_base) as has_base,
    bool_or(salesforce_changed) as salesforce_changed,
    bool_or(write_forcemanager) as any_forcemanager_write,
    bool_or(write_salesforce) as any_salesforce_write,
    sum(case when is_conflict then 1 else 0 end) as conflicts
  from field_changes
  group by object, sync_key
),

-- what a ForceManager create would lack, per record that lacks something: aggregated apart
-- from per_record, over those rows only (an ordered aggregate keeps every row of its group)
missing as (
  select
    object,
    sync_key,
    {{ dbt.listagg("forcemanager_refusal", "'; '", 'order by field_order') }}
      as missing_in_forcemanager
  from {{ ref('int_field_changes') }}
  where forcemanager_required
    and forcemanager_refusal is not null
  group by object, sync_key
),

decided as (
  select
    pairs.*,
    coalesce(per_record.has_base, false) as has_base,
    coalesce(per_record.salesforce_changed, false) as salesforce_changed,
    coalesce(per_record.conflicts, 0) as conflicts,
    missing.missing_in_forcemanager,
    match_mode.is_match,
    held_salesforce.object is not null or held_forcemanager.object is not null as is_held,
    coalesce(link_writes.needs_forcemanager_link, false) as needs_forcemanager_link,
    -- a Salesforce record whose ForceManager_Id__c names another ForceManager record than
    -- its link (a cycle stopped between a re-create and clearing the old id) gets the link's
    coalesce(link_writes.needs_salesforce_link, false)
      or (
        pairs.sync_mode = 'incremental'
        and pairs.salesforce_state = 'live'
        and pairs.forcemanager_state = 'live'
        and coalesce(pairs.salesforce_link_mark <> pairs.forcemanager_id, false)
      ) as needs_salesforce_link,
    case
      when pairs.is_blocked_in_forcemanager then null
      when pairs.sync_mode = 'initial' and not match_mode.is_match then
        case
          when pairs.forcemanager_state = 'live' then 'delete'
          when pairs.salesforce_state = 'live' then 'create'
        end
      when pairs.salesforce_state = 'live' and pairs.forcemanager_state = 'none' then 'create'
      when pairs.salesforce_state = 'live' and pairs.forcemanager_state = 'deleted' then
        case
          when pairs.is_two_way
            and coalesce(per_record.has_base, false)
            and not coalesce(per_record.salesforce_changed, false)
            then null
          else 'create'
        end
      when pairs.salesforce_state = 'live' and pairs.forcemanager_state = 'live'
        and (per_record.any_forcemanager_write or link_writes.needs_forcemanager_link)
        then 'update'
      when pairs.salesforce_state = 'deleted' and pairs.forcemanager_state = 'live' then 'delete'
    end as forcemanager_action,
    case
      when (pairs.sync_mode = 'initial' and not match_mode.is_match)
        or not pairs.is_two_way then null
      when pairs.salesforce_state = 'none' and pairs.forcemanager_state = 'live' then 'create'
      when pairs.salesforce_state = 'live' and pairs.forcemanager_state = 'deleted'
        and coalesce(per_record.has_base, false)
        and not coalesce(per_record.salesforce_changed, false) then 'delete'
      when pairs.salesforce_state = 'live' and pairs.forcemanager_state = 'live'
        and (
          per_record.any_salesforce_write
          or link_writes.needs_salesforce_link
          or coalesce(pairs.salesforce_link_mark <> pairs.forcemanager_id, false)
        )
        then 'update'
    end as salesforce_action
  from pairs
  cross join match_mode
  left join per_record
    on per_record.object = pairs.object
    and per_record.sync_key = pairs.sync_key
  left join missing
    on missing.object = pairs.object
    and missing.sync_key = pairs.sync_key
  left join held as held_salesforce
    on held_salesforce.record_side = 'salesforce'
    and held_salesforce.object = pairs.object
    and held_salesforce.salesforce_id = pairs.salesforce_id
    and pairs.forcemanager_id is null
  left join held as held_forcemanager
    on held_forcemanager.record_side = 'forcemanager'
    and held_forcemanager.object = pairs.object
    and held_forcemanager.forcemanager_id = pairs.forcemanager_id
    and pairs.salesforce_id is null
  left join link_writes
    on link_writes.object = pairs.object
    and link_writes.salesforce_id = pairs.salesforce_id
    and link_writes.forcemanager_id = pairs.forcemanager_id
),

-- a ForceManager record re-created for a Salesforce record whose ForceManager_Id__c names the
-- deleted one: the new record carries the link (extId), so the stale id is cleared in the same
-- cycle rather than left to contest it
decided_links as (
  select
    decided.*,
    coalesce(
      decided.forcemanager_action = 'create'
        and decided.forcemanager_state = 'deleted'
        and decided.salesforce_state = 'live'
        and decided.salesforce_link_mark is not null
        and decided.is_two_way
        and decided.sync_mode = 'incremental'
        and decided.missing_in_forcemanager is null
        and not decided.is_held,
      false
    ) as clears_salesforce_link
  from decided
)

select
  '{{ invocation_id }}' as run_id,
  object,
  sync_key,
  salesforce_id,
  forcemanager_id,
  origin,
  mode,
  sync_mode,
  salesforce_state,
  forcemanager_state,
  has_base,
  salesforce_changed,
  conflicts,
  -- initial_sync: match deletes nothing on either side and holds ambiguous records back
  case
    when is_held or (is_match and forcemanager_action = 'delete') then null
    when forcemanager_action = 'create' and missing_in_forcemanager is not null then null
    else forcemanager_action
  end as forcemanager_action,
  case
    when is_held or (is_match and salesforce_action = 'delete') then null
    when clears_salesforce_link then 'update'
    else salesforce_action
  end as salesforce_action,
  -- what ForceManager's /schema requires names the field; before the tap has read it, the
  -- documented requirements of contacts and activities (int_record_pairs) still hold
  case
    when not is_held and missing_in_forcemanager is not null
      and (forcemanager_action = 'create' or is_blocked_in_forcemanager)
      then missing_in_forcemanager || ': not created in ForceManager'
    when is_blocked_in_forcemanager and object = 'activities'
      then 'ForceManager requires a date on every activity'
    when is_blocked_in_forcemanager
      then 'ForceManager requires an account and a first name on every contact'
  end as skip_reason,
  needs_forcemanager_link,
  needs_salesforce_link,
  clears_salesforce_link
from decided_links
