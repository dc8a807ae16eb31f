{#-
  One row per record a target writes and API field it sends: the field's name in the target's
  API and its value as JSON text in the API's write shape (ForceManager references as ints),
  or a `refs` entry when the referenced record is created in this same run. A create sends
  every field that has a value plus what the API requires; an update only the changed fields.
  A reference resolves through every record pair (int_record_pairs), not only the ones this
  cycle compares: a record moved to an account nothing touched points at that account's id.
-#}
with

actions as (
  select * from {{ ref('int_record_actions') }}
),

record_pairs as (
  select * from {{ ref('int_record_pairs') }}
),

field_changes as (
  select * from {{ ref('int_field_changes') }}
),

fields as (
  select * from {{ ref('int_object_fields') }}
),

statuses as (
  select * from {{ ref('stg_forcemanager__opportunitystatuses') }}
  where not is_deleted
),

branches as (
  select * from {{ ref('stg_forcemanager__branches') }}
  where not is_deleted
),

countries as (
  select * from {{ ref('stg_forcemanager__countries') }}
),

activity_types as (
  select * from {{ ref('stg_forcemanager__activitytypes') }}
  where not is_deleted
),

forcemanager_field_writes as (
  select
    actions.object,
    actions.sync_key,
    'forcemanager' as target,
    field_changes.field,
    field_changes.kind,
    field_changes.ref_object,
    field_changes.field_order,
    field_changes.salesforce_as_forcemanager as value
  from actions
  inner join field_changes
    on field_changes.object = actions.object
    and field_changes.sync_key = actions.sync_key
  where (
      actions.forcemanager_action = 'create'
      and field_changes.salesforce_as_forcemanager is not null
      -- a text longer than ForceManager takes is left out (listed in sync_plan)
      and not field_changes.is_too_long_for_forcemanager
    )
    or (actions.forcemanager_action = 'update' and field_changes.write_forcemanager)
),

salesforce_field_writes as (
  select
    actions.object,
    actions.sync_key,
    'salesforce' as target,
    field_changes.field,
    field_changes.kind,
    field_changes.ref_object,
    field_changes.field_order,
    field_changes.forcemanager_as_salesforce as value
  from actions
  inner join field_changes
    on field_changes.object = actions.object
    and field_changes.sync_key = actions.sync_key
  where (
      actions.salesforce_action = 'create'
      and field_changes.forcemanager_as_salesforce is not null
      and field_changes.salesforce_createable
    )
    or (actions.salesforce_action = 'update' and field_changes.write_salesforce)
),

field_writes as (
  select * from forcemanager_field_writes
  where coalesce(value, '') <> {{ unknown_value() }}
  union all
  select * from salesforce_field_writes
  where coalesce(value, '') <> {{ unknown_value() }}
),

-- the pairs the written references point to (live ids of records no action touches too)
referenced_pairs as (
  select
    record_pairs.object,
    record_pairs.sync_key,
    record_pairs.salesforce_id,
    record_pairs.forcemanager_id,
    record_pairs.salesforce_state,
    record_pairs.forcemanager_state
  from record_pairs
  inner join (
    select distinct ref_object, value from field_writes where kind = 'ref'
  ) as wanted
    on wanted.ref_object = record_pairs.object
    and wanted.value = record_pairs.sync_key
),

rendered as (
  select
    field_writes.object,
    field_writes.sync_key,
    field_writes.target,
    field_writes.field,
    field_writes.field_order,
    case when field_writes.target = 'forcemanager' then fields.forcemanager_field
      else fields.salesforce_field end as api_field,
    case
      when field_writes.value is null then 'null'
      when field_writes.kind = 'ref' and field_writes.target = 'forcemanager' then
        case
          when referenced.forcemanager_action = 'create' then null
          when referenced_pair.forcemanager_state = 'live'
            then cast(referenced_pair.forcemanager_id as {{ dbt.type_string() }})
        end
      when field_writes.kind = 'ref' then
        case
          when referenced.salesforce_action = 'create' then null
          when referenced_pair.salesforce_state = 'live'
            then {{ crmsync_json_string('referenced_pair.salesforce_id') }}
        end
      -- ForceManager's probability is 0-10
      when field_writes.kind = 'probability' and field_writes.target = 'forcemanager'
        then cast(cast(round(cast(field_writes.value as double) / 10) as integer) as {{ dbt.type_string() }})
      when field_writes.kind in ('number', 'boolean', 'owner', 'country')
        and field_writes.target = 'forcemanager'
        then field_writes.value
      -- Salesforce's country is text: the country's name
      when field_writes.kind = 'country'
        then {{ crmsync_json_string('countries.country_name') }}
      when field_writes.kind in ('number', 'probability', 'boolean') then field_writes.value
      when field_writes.kind = 'completed' and field_writes.target = 'forcemanager'
        then field_writes.value
      when field_writes.kind = 'completed'
        then case when field_writes.value = 'true' then '"Completed"' else '"Not Started"' end
      when field_writes.kind = 'stage' and field_writes.target = 'forcemanager'
        then cast(statuses.opportunity_status_id as {{ dbt.type_string() }})
      when field_writes.kind = 'datetime_split' and field_writes.target = 'forcemanager'
        then {{ crmsync_json_string('field_writes.value') }}
          || ',"' || fields.forcemanager_hour_field || '":'
          || {{ crmsync_json_string('substr(field_writes.value, 12, 5)') }}
      else {{ crmsync_json_string('field_writes.value') }}
    end as json_value,
    -- a reference to a record created in this same run: the target resolves it
    case
      when field_writes.kind = 'ref' and field_writes.target = 'forcemanager'
        and referenced.forcemanager_action = 'create'
        then '{"object":"' || field_writes.ref_object || '","salesforce_id":'
          || {{ crmsync_json_string('referenced.salesforce_id') }} || '}'
      when field_writes.kind = 'ref' and field_writes.target = 'salesforce'
        and referenced.salesforce_action = 'create'
        then '{"object":"' || field_writes.ref_object || '","forcemanager_id":'
          || cast(referenced.forcemanager_id as {{ dbt.type_string() }}) || '}'
    end as ref_json
  from field_writes
  inner join fields
    on fields.object = field_writes.object
    and fields.field = field_writes.field
  left join referenced_pairs as referenced_pair
    on field_writes.kind = 'ref'
    and referenced_pair.object = field_writes.ref_object
    and referenced_pair.sync_key = field_writes.value
  left join actions as referenced
    on field_writes.kind = 'ref'
    and referenced.object = field_writes.ref_object
    and referenced.sync_key = field_writes.value
  left join statuses
    on field_writes.kind = 'stage'
    and statuses.label_en = field_writes.value
  left join countries
    on field_writes.kind = 'country'
    and field_writes.target = 'salesforce'
    and cast(countries.country_id as {{ dbt.type_string() }}) = field_writes.value
),

-- what an API requires on create beyond the mapped fields
create_defaults as (
  select
    actions.object,
    actions.sync_key,
    'forcemanager' as target,
    cast(null as {{ dbt.type_string() }}) as field,
    1000 as field_order,
    defaults.api_field,
    defaults.json_value,
    cast(null as {{ dbt.type_string() }}) as ref_json
  from actions
  inner join (
    select 'extId' as api_field, cast(null as {{ dbt.type_string() }}) as json_value, cast(null as {{ dbt.type_string() }}) as only_object
    union all
    -- ForceManager requires a branch on accounts and opportunities, and one published source
    -- on contacts too (docs/reference-forcemanager.md 6): the first live one
    select 'branchId', (select cast(min(branch_id) as {{ dbt.type_string() }}) from branches), 'accounts'
    union all
    select 'branchId', (select cast(min(branch_id) as {{ dbt.type_string() }}) from branches), 'contacts'
    union all
    select 'branchId', (select cast(min(branch_id) as {{ dbt.type_string() }}) from branches), 'opportunities'
    union all
    -- a logged call is a "Phone call" activity
    select 'typeId', (
      select cast(min(activity_type_id) as {{ dbt.type_string() }}) from activity_types
      where lower(label_en) = 'phone call'
    ), 'activities'
    union all
    select 'task', 'false', 'events'
    union all
    select 'task', 'true', 'tasks'
  ) as defaults
    on defaults.only_object is null or defaults.only_object = actions.object
  where actions.forcemanager_action = 'create'
  union all
  select
    actions.object,
    actions.sync_key,
    'salesforce' as target,
    cast(null as {{ dbt.type_string() }}) as field,
    1000 as field_order,
    defaults.api_field,
    defaults.json_value,
    cast(null as {{ dbt.type_string() }}) as ref_json
  from actions
  inner join (
    select 'ForceManager_Id__c' as api_field, cast(null as {{ dbt.type_string() }}) as json_value, cast(null as {{ dbt.type_string() }}) as only_object
    union all
    -- a ForceManager activity is a logged call in Salesforce
    select 'TaskSubtype', '"Call"', 'activities'
    union all
    select 'Status', '"Completed"', 'activities'
    union all
    select 'Subject', '"Call"', 'activities'
    union all
    select 'TaskSubtype', '"Task"', 'tasks'
    union all
    select 'Status', '"Not Started"', 'tasks'
  ) as defaults
    on defaults.only_object is null or defaults.only_object = actions.object
  where actions.salesforce_action = 'create'
),

create_defaults_with_ids as (
  select
    create_defaults.object,
    create_defaults.sync_key,
    create_defaults.target,
    create_defaults.field,
    create_defaults.field_order,
    create_defaults.api_field,
    case
      -- the link travels in the record itself, so a crash after the create never duplicates
      when create_defaults.api_field = 'extId' then {{ crmsync_json_string('actions.salesforce_id') }}
      -- (qualified by the object where another object holds the id: macros/salesforce_keys.sql)
      when create_defaults.api_field = 'ForceManager_Id__c'
        then {{ crmsync_json_string(crmsync_salesforce_key(
          'actions.object',
          'cast(actions.forcemanager_id as ' ~ dbt.type_string() ~ ')',
          'record_pairs.is_salesforce_key_taken')) }}
      else create_defaults.json_value
    end as json_value,
    create_defaults.ref_json
  from create_defaults
  inner join actions
    on actions.object = create_defaults.object
    and actions.sync_key = create_defaults.sync_key
  left join record_pairs
    on record_pairs.object = actions.object
    and record_pairs.sync_key = actions.sync_key
),

-- initial_sync: match: a matched pair's records get the link a created one carries
link_updates as (
  select
    object, sync_key, 'forcemanager' as target, cast(null as {{ dbt.type_string() }}) as field,
    1000 as field_order, 'extId' as api_field,
    {{ crmsync_json_string('salesforce_id') }} as json_value,
    cast(null as {{ dbt.type_string() }}) as ref_json
  from actions
  where forcemanager_action = 'update'
    and needs_forcemanager_link
  union all
  select
    actions.object, actions.sync_key, 'salesforce', cast(null as {{ dbt.type_string() }}), 1000,
    'ForceManager_Id__c',
    {{ crmsync_json_string(crmsync_salesforce_key(
      'actions.object',
      'cast(actions.forcemanager_id as ' ~ dbt.type_string() ~ ')',
      'record_pairs.is_salesforce_key_taken')) }},
    cast(null as {{ dbt.type_string() }})
  from actions
  left join record_pairs
    on record_pairs.object = actions.object
    and record_pairs.sync_key = actions.sync_key
  where actions.salesforce_action = 'update'
    and actions.needs_salesforce_link
  union all
  select
    object, sync_key, 'salesforce', cast(null as {{ dbt.type_string() }}), 1000,
    'ForceManager_Id__c', 'null', cast(null as {{ dbt.type_string() }})
  from actions
  where salesforce_action = 'update'
    and clears_salesforce_link
),

all_writes as (
  select
    object, sync_key, target, field, field_order, api_field, json_value, ref_json, 1 as priority
  from rendered
  union all
  select
    object, sync_key, target, field, field_order, api_field, json_value, ref_json, 2 as priority
  from create_defaults_with_ids
  union all
  select
    object, sync_key, target, field, field_order, api_field, json_value, ref_json, 2 as priority
  from link_updates
),

-- one value per API field: mapped values before defaults; Salesforce's WhatId takes the
-- opportunity over the account
deduplicated as (
  select
    all_writes.*,
    row_number() over (
      partition by object, sync_key, target, api_field
      order by priority, case when json_value is null or json_value = 'null' then 1 else 0 end, field_order desc
    ) as api_field_rank
  from all_writes
)

select
  object,
  sync_key,
  target,
  field,
  field_order,
  api_field,
  json_value,
  ref_json
from deduplicated
where api_field_rank = 1
  -- a value that cannot be resolved and is not created this run is left out
  and (json_value is not null or ref_json is not null)
