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
  select records.*
  from {{ ref('int_salesforce__records') }} as records
  inner join objects on objects.object = records.object
  where objects.is_synced
),

forcemanager_records as (
  select records.*
  from {{ ref('int_forcemanager__records') }} as records
  inner join objects on objects.object = records.object
  where objects.is_synced
),

-- every link with its Salesforce record, and every live Salesforce record with no link
salesforce_side as (
  select
    coalesce(links.object, records.object) as object,
    links.sync_key,
    coalesce(links.salesforce_id, records.salesforce_id) as salesforce_id,
    links.forcemanager_id,
    links.origin,
    links.stored_salesforce_hash,
    links.stored_forcemanager_hash,
    links.stored_context_hash,
    records.salesforce_id is not null as has_salesforce_record,
    records.is_deleted as salesforce_deleted,
    records.row_hash as salesforce_hash,
    records.forcemanager_id as salesforce_link_mark
  from links
  full outer join salesforce_records as records
    on records.object = links.object
    and records.salesforce_id = links.salesforce_id
  where links.sync_key is not null
    or not records.is_deleted
),

-- ... then with its ForceManager record, and every live ForceManager record with no link
pairs as (
  select
    coalesce(sides.object, records.object) as object,
    coalesce(
      sides.sync_key,
      'sf:' || sides.salesforce_id,
      'fm:' || cast(records.forcemanager_id as {{ dbt.type_string() }})
    ) as sync_key,
    sides.salesforce_id,
    coalesce(sides.forcemanager_id, records.forcemanager_id) as forcemanager_id,
    coalesce(
      sides.origin, case when sides.object is null then 'forcemanager' else 'salesforce' end
    ) as origin,
    sides.stored_salesforce_hash,
    sides.stored_forcemanager_hash,
    sides.stored_context_hash,
    coalesce(sides.has_salesforce_record, false) as has_salesforce_record,
    sides.salesforce_deleted,
    sides.salesforce_hash,
    sides.salesforce_link_mark,
    records.forcemanager_id is not null as has_forcemanager_record,
    records.is_deleted as forcemanager_deleted,
    records.row_hash as forcemanager_hash
  from salesforce_side as sides
  full outer join forcemanager_records as records
    on records.object = sides.object
    and records.forcemanager_id = sides.forcemanager_id
  where sides.object is not null
    or not records.is_deleted
),

classified as (
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
      when not pairs.has_salesforce_record then 'unknown'
      when pairs.salesforce_deleted then 'deleted'
      else 'live'
    end as salesforce_state,
    case
      when pairs.forcemanager_id is null then 'none'
      when not pairs.has_forcemanager_record then 'unknown'
      when pairs.forcemanager_deleted then 'deleted'
      else 'live'
    end as forcemanager_state,
    pairs.salesforce_hash,
    pairs.forcemanager_hash,
    contexts.context_hash,
    pairs.salesforce_link_mark,
    coalesce(
      objects.sync_mode = 'incremental'
        and not pairs.salesforce_deleted
        and not pairs.forcemanager_deleted
        and pairs.stored_salesforce_hash = pairs.salesforce_hash
        and pairs.stored_forcemanager_hash = pairs.forcemanager_hash
        and pairs.stored_context_hash = contexts.context_hash,
      false
    ) as is_clean
  from pairs
  inner join objects on objects.object = pairs.object
  left join contexts on contexts.object = pairs.object
),

-- ForceManager requires an account and a first name on every contact, and a date on every
-- activity: a Salesforce contact without them (a private contact), or a logged call without
-- its date, cannot be created there, so it is skipped rather than retried forever. Only a
-- record not linked yet is created, so only those are looked up.
unlinked_salesforce as (
  select object, salesforce_id
  from classified
  where forcemanager_id is null
    and salesforce_id is not null
    and object in ('contacts', 'activities')
),

creatable_in_forcemanager as (
  select unlinked.object, unlinked.salesforce_id
  from unlinked_salesforce as unlinked
  inner join {{ ref('stg_salesforce__contacts') }} as contacts
    on contacts.salesforce_id = unlinked.salesforce_id
  where unlinked.object = 'contacts'
    and not contacts.is_deleted
    and {{ canonical_text("'ref'", 'contacts.account') }} is not null
    and {{ canonical_text("'text'", 'contacts.first_name') }} is not null
  union all
  select unlinked.object, unlinked.salesforce_id
  from unlinked_salesforce as unlinked
  inner join {{ ref('stg_salesforce__activities') }} as calls
    on calls.salesforce_id = unlinked.salesforce_id
  where unlinked.object = 'activities'
    and not calls.is_deleted
    and {{ canonical_text("'date'", 'calls.date') }} is not null
),

blocked_in_forcemanager as (
  select unlinked.object, unlinked.salesforce_id
  from unlinked_salesforce as unlinked
  left join creatable_in_forcemanager as creatable
    on creatable.object = unlinked.object
    and creatable.salesforce_id = unlinked.salesforce_id
  where creatable.salesforce_id is null
),

{#- objects that share one Salesforce object (activities and tasks are both Task), as
    (object, earlier sibling in creation order) -#}
{%- set specs = crmsync_objects() %}
{%- set names = crmsync_object_names() %}
{%- set siblings = [] %}
{%- set sibling_objects = [] %}
{%- for later in names %}
  {%- for earlier in names[:loop.index0] %}
    {%- if specs[earlier].sf_object == specs[later].sf_object %}
      {%- do siblings.append((later, earlier)) %}
      {%- do sibling_objects.extend([later, earlier]) %}
    {%- endif %}
  {%- endfor %}
{%- endfor %}

-- ForceManager numbers activities and calendar tasks apart, while Salesforce keeps both in Task,
-- whose ForceManager_Id__c is unique: an id both hold can be one Task's plain key only. A
-- ForceManager record whose id another object's Task already carries, or that an earlier object
-- (in creation order) of the same Salesforce object also holds, has its id taken: it is created
-- with its key qualified by its object (`task:12`, macros/salesforce_keys.sql), since an upsert
-- on the plain id would land on the other record (and fail on its TaskSubtype). A clean pair
-- writes nothing, so only the others are looked up.
key_candidates as (
  select object, forcemanager_id
  from classified
  where not is_clean
    and forcemanager_id is not null
    and object in ('{{ sibling_objects | join("', '") }}')
),

-- (object, id): the id is held by a record of another object of the same Salesforce object
key_holders as (
  select cast(null as {{ dbt.type_string() }}) as object, cast(null as bigint) as forcemanager_id
  where false
  {%- for later, earlier in siblings %}
  {%- for object, other in [(later, earlier), (earlier, later)] %}
  union all
  select '{{ object }}', forcemanager_id
  from {{ ref('int_salesforce__records') }}
  where object = '{{ other }}'
    and forcemanager_id is not null
    and not is_deleted
  {%- endfor %}
  union all
  select '{{ later }}', records.forcemanager_id
  from forcemanager_records as records
  inner join objects on objects.object = records.object
  where records.object = '{{ earlier }}'
    and objects.is_two_way
    and not records.is_deleted
  {%- endfor %}
),

taken_salesforce_ids as (
  select distinct candidates.object, candidates.forcemanager_id
  from key_candidates as candidates
  inner join key_holders as holders
    on holders.object = candidates.object
    and holders.forcemanager_id = candidates.forcemanager_id
)

select
  classified.*,
  blocked_in_forcemanager.object is not null as is_blocked_in_forcemanager,
  taken_salesforce_ids.object is not null as is_salesforce_key_taken
from classified
left join blocked_in_forcemanager
  on blocked_in_forcemanager.object = classified.object
  and blocked_in_forcemanager.salesforce_id = classified.salesforce_id
  and classified.forcemanager_id is null
left join taken_salesforce_ids
  on taken_salesforce_ids.object = classified.object
  and taken_salesforce_ids.forcemanager_id = classified.forcemanager_id
