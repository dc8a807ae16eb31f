{#-
  One row per record pair of a synced object: linked pairs, and live records not linked yet
  (a pair with one side). Each side's state is live, deleted, none (no record on that side)
  or unknown (linked, but the extract does not hold it: nothing is done on a guess).
  A clean pair is one whose two records and comparison context hash as they did when its
  last comparison settled: comparing it again would plan nothing, so it is not compared.
-#}
with

objects as (
  select * from {{ ref('int_sync_objects') }}
),

links as (
  select * from {{ ref('int_links') }}
),

contexts as (
  select * from {{ ref('int_sync_contexts') }}
),

salesforce_records as (
  select * from {{ ref('int_salesforce__records') }}
),

forcemanager_records as (
  select * from {{ ref('int_forcemanager__records') }}
),

unlinked_salesforce as (
  select
    records.object,
    'sf:' || records.salesforce_id as sync_key,
    records.salesforce_id,
    cast(null as bigint) as forcemanager_id,
    'salesforce' as origin,
    cast(null as {{ crmsync_row_hash_type() }}) as stored_salesforce_hash,
    cast(null as {{ crmsync_row_hash_type() }}) as stored_forcemanager_hash,
    cast(null as {{ dbt.type_string() }}) as stored_context_hash
  from salesforce_records as records
  left join links
    on links.object = records.object
    and links.salesforce_id = records.salesforce_id
  where links.sync_key is null
    and not records.is_deleted
),

unlinked_forcemanager as (
  select
    records.object,
    'fm:' || cast(records.forcemanager_id as {{ dbt.type_string() }}) as sync_key,
    cast(null as {{ dbt.type_string() }}) as salesforce_id,
    records.forcemanager_id,
    'forcemanager' as origin,
    cast(null as {{ crmsync_row_hash_type() }}) as stored_salesforce_hash,
    cast(null as {{ crmsync_row_hash_type() }}) as stored_forcemanager_hash,
    cast(null as {{ dbt.type_string() }}) as stored_context_hash
  from forcemanager_records as records
  left join links
    on links.object = records.object
    and links.forcemanager_id = records.forcemanager_id
  where links.sync_key is null
    and not records.is_deleted
),

-- Salesforce contacts that have what ForceManager requires of a contact
contact_accounts as (
  select salesforce_id as record_id from {{ ref('stg_salesforce__contacts') }}
  where not is_deleted
    and nullif(cast(account as {{ dbt.type_string() }}), '') is not null
    and nullif(cast(first_name as {{ dbt.type_string() }}), '') is not null
),

pairs as (
  select
    object, sync_key, salesforce_id, forcemanager_id, origin,
    stored_salesforce_hash, stored_forcemanager_hash, stored_context_hash
  from links
  union all
  select * from unlinked_salesforce
  union all
  select * from unlinked_forcemanager
)

select
  pairs.object,
  pairs.sync_key,
  pairs.salesforce_id,
  pairs.forcemanager_id,
  pairs.origin,
  objects.mode,
  objects.is_two_way,
  objects.sync_mode,
  case
    when pairs.salesforce_id is null then 'none'
    when salesforce_records.salesforce_id is null then 'unknown'
    when salesforce_records.is_deleted then 'deleted'
    else 'live'
  end as salesforce_state,
  case
    when pairs.forcemanager_id is null then 'none'
    when forcemanager_records.forcemanager_id is null then 'unknown'
    when forcemanager_records.is_deleted then 'deleted'
    else 'live'
  end as forcemanager_state,
  salesforce_records.row_hash as salesforce_hash,
  forcemanager_records.row_hash as forcemanager_hash,
  contexts.context_hash,
  coalesce(
    objects.sync_mode = 'incremental'
      and not salesforce_records.is_deleted
      and not forcemanager_records.is_deleted
      and pairs.stored_salesforce_hash = salesforce_records.row_hash
      and pairs.stored_forcemanager_hash = forcemanager_records.row_hash
      and pairs.stored_context_hash = contexts.context_hash,
    false
  ) as is_clean,
  -- ForceManager requires an account and a first name on every contact: a Salesforce contact
  -- without them (a private contact) cannot be created there, so it is skipped rather than
  -- retried forever
  pairs.object = 'contacts'
    and pairs.forcemanager_id is null
    and pairs.salesforce_id is not null
    and contact_accounts.record_id is null
    as is_blocked_in_forcemanager
from pairs
inner join objects on objects.object = pairs.object
left join contexts on contexts.object = pairs.object
left join contact_accounts
  on pairs.object = 'contacts'
  and contact_accounts.record_id = pairs.salesforce_id
left join salesforce_records
  on salesforce_records.object = pairs.object
  and salesforce_records.salesforce_id = pairs.salesforce_id
left join forcemanager_records
  on forcemanager_records.object = pairs.object
  and forcemanager_records.forcemanager_id = pairs.forcemanager_id
