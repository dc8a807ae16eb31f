{#-
  The current values of every record pair int_field_changes compares (either side live, not
  clean: int_record_pairs), one row per pair and mapped field, references as sync keys (stable
  when a record gets its id on the other side). A model of its own, narrow on purpose: its
  joins match millions of values in a cold plan, and int_field_changes joins the pair's and the
  field's other columns back onto a table whose size the database knows (docs/internals.md,
  "Clean pairs").
-#}
with

pairs as (
  select * from {{ ref('int_record_pairs') }}
  where (salesforce_state = 'live' or forcemanager_state = 'live')
    and not is_clean
),

fields as (
  select * from {{ ref('int_object_fields') }}
),

salesforce_values as (
  select * from {{ ref('int_salesforce__values') }}
),

forcemanager_values as (
  select * from {{ ref('int_forcemanager__values') }}
),

-- records the matching held back (initial_sync: match): a reference to one is left out of the
-- write, as no record stands for it on the other side
held as (
  select * from {{ ref('int_held_records') }}
),

-- the sync key of every record a reference can point to
reference_keys as (
  select * from {{ ref('int_record_pairs') }}
  where object in (select ref_object from fields)
)

  select
    pairs.object,
    pairs.sync_key,
    fields.field,
    case
      when fields.kind = 'ref' and salesforce_values.value is not null
        then coalesce(salesforce_refs.sync_key, 'sf:' || salesforce_values.value)
      else salesforce_values.value
    end as salesforce_value,
    case
      when fields.kind = 'ref' and forcemanager_values.value is not null
        then coalesce(forcemanager_refs.sync_key, 'fm:' || forcemanager_values.value)
      else forcemanager_values.value
    end as forcemanager_value,
    coalesce(salesforce_refs.is_blocked_in_forcemanager, false)
      or held_salesforce.object is not null as is_ref_blocked_in_forcemanager,
    held_forcemanager.object is not null as is_ref_held_in_forcemanager
  from pairs
  inner join fields on fields.object = pairs.object
  left join salesforce_values
    on salesforce_values.object = pairs.object
    and salesforce_values.record_id = pairs.salesforce_id
    and salesforce_values.field = fields.field
  left join forcemanager_values
    on forcemanager_values.object = pairs.object
    and forcemanager_values.record_id = pairs.forcemanager_id
    and forcemanager_values.field = fields.field
  left join reference_keys as salesforce_refs
    on salesforce_refs.object = fields.ref_object
    and salesforce_refs.salesforce_id = salesforce_values.value
  left join reference_keys as forcemanager_refs
    on forcemanager_refs.object = fields.ref_object
    and cast(forcemanager_refs.forcemanager_id as {{ dbt.type_string() }}) = forcemanager_values.value
  left join held as held_salesforce
    on fields.kind = 'ref'
    and held_salesforce.record_side = 'salesforce'
    and held_salesforce.object = fields.ref_object
    and held_salesforce.salesforce_id = salesforce_values.value
    and coalesce(salesforce_refs.forcemanager_state, 'none') <> 'live'
  left join held as held_forcemanager
    on fields.kind = 'ref'
    and held_forcemanager.record_side = 'forcemanager'
    and held_forcemanager.object = fields.ref_object
    and cast(held_forcemanager.forcemanager_id as {{ dbt.type_string() }}) = forcemanager_values.value
    -- (a held record's own extId may name a record this org does not hold)
    and coalesce(forcemanager_refs.salesforce_state, 'none') <> 'live'
