{#-
  The plan per record pair that is not clean (a clean one plans nothing): what each target
  does with it (create, update, delete or nothing). Record rules: a record only one side has is created on the other (ForceManager
  records reach Salesforce only on two-way objects); a Salesforce delete deletes in
  ForceManager; a ForceManager delete deletes in Salesforce only on two-way objects and only
  when Salesforce did not change the record since the last sync; otherwise the record is
  re-created in ForceManager (Salesforce wins). Salesforce is never deleted from on one-way
  objects. An initial sync deletes every live ForceManager record and creates every live
  Salesforce record in ForceManager.
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

decided as (
  select
    pairs.*,
    coalesce(per_record.has_base, false) as has_base,
    coalesce(per_record.salesforce_changed, false) as salesforce_changed,
    coalesce(per_record.conflicts, 0) as conflicts,
    case
      when pairs.is_blocked_in_forcemanager then null
      when pairs.sync_mode = 'initial' then
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
        and per_record.any_forcemanager_write then 'update'
      when pairs.salesforce_state = 'deleted' and pairs.forcemanager_state = 'live' then 'delete'
    end as forcemanager_action,
    case
      when pairs.sync_mode = 'initial' or not pairs.is_two_way then null
      when pairs.salesforce_state = 'none' and pairs.forcemanager_state = 'live' then 'create'
      when pairs.salesforce_state = 'live' and pairs.forcemanager_state = 'deleted'
        and coalesce(per_record.has_base, false)
        and not coalesce(per_record.salesforce_changed, false) then 'delete'
      when pairs.salesforce_state = 'live' and pairs.forcemanager_state = 'live'
        and per_record.any_salesforce_write then 'update'
    end as salesforce_action
  from pairs
  left join per_record
    on per_record.object = pairs.object
    and per_record.sync_key = pairs.sync_key
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
  forcemanager_action,
  salesforce_action,
  case
    when is_blocked_in_forcemanager
      then 'ForceManager requires an account and a first name on every contact'
  end as skip_reason
from decided
