{#-
  The current values of every record pair int_field_changes compares (either side live, not
  clean: int_record_pairs), one row per pair and mapped field, references as sync keys (stable
  when a record gets its id on the other side). The values models key each value by its
  pair's sync key, so the two sides meet in one join. A model of its own, narrow on purpose:
  its join matches millions of values in a cold plan, and int_field_changes joins the pair's
  and the field's other columns back onto a table whose size the database knows
  (docs/internals.md, "Clean pairs").
-#}
with

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
),

-- the two sides' values of each (pair, field), matched on the pair's sync key: a pair compared
-- has a live record on one side at least, and each live record a row per mapped field
matched as (
  select
    coalesce(salesforce_values.object, forcemanager_values.object) as object,
    coalesce(salesforce_values.sync_key, forcemanager_values.sync_key) as sync_key,
    coalesce(salesforce_values.field, forcemanager_values.field) as field,
    salesforce_values.value as salesforce_raw,
    forcemanager_values.value as forcemanager_raw
  from salesforce_values
  full outer join forcemanager_values
    on forcemanager_values.object = salesforce_values.object
    and forcemanager_values.sync_key = salesforce_values.sync_key
    and forcemanager_values.field = salesforce_values.field
)

select
  matched.object,
  matched.sync_key,
  matched.field,
  case
    when fields.kind = 'ref' and matched.salesforce_raw is not null
      then coalesce(salesforce_refs.sync_key, 'sf:' || matched.salesforce_raw)
    else matched.salesforce_raw
  end as salesforce_value,
  case
    when fields.kind = 'ref' and matched.forcemanager_raw is not null
      then coalesce(forcemanager_refs.sync_key, 'fm:' || matched.forcemanager_raw)
    else matched.forcemanager_raw
  end as forcemanager_value,
  coalesce(salesforce_refs.is_blocked_in_forcemanager, false)
    or held_salesforce.object is not null as is_ref_blocked_in_forcemanager,
  held_forcemanager.object is not null as is_ref_held_in_forcemanager
from matched
inner join fields
  on fields.object = matched.object
  and fields.field = matched.field
left join reference_keys as salesforce_refs
  on salesforce_refs.object = fields.ref_object
  and salesforce_refs.salesforce_id = matched.salesforce_raw
left join reference_keys as forcemanager_refs
  on forcemanager_refs.object = fields.ref_object
  and cast(forcemanager_refs.forcemanager_id as {{ dbt.type_string() }}) = matched.forcemanager_raw
left join held as held_salesforce
  on fields.kind = 'ref'
  and held_salesforce.record_side = 'salesforce'
  and held_salesforce.object = fields.ref_object
  and held_salesforce.salesforce_id = matched.salesforce_raw
  and coalesce(salesforce_refs.forcemanager_state, 'none') <> 'live'
left join held as held_forcemanager
  on fields.kind = 'ref'
  and held_forcemanager.record_side = 'forcemanager'
  and held_forcemanager.object = fields.ref_object
  and cast(held_forcemanager.forcemanager_id as {{ dbt.type_string() }}) = matched.forcemanager_raw
  -- (a held record's own extId may name a record this org does not hold)
  and coalesce(forcemanager_refs.salesforce_state, 'none') <> 'live'
