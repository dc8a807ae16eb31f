{#-
  The three-way comparison: one row per record pair to compare (either side live, not clean:
  int_record_pairs) and field, with each side's current value (int_pair_values), each side's
  base (the last synced state, kept per side because some mappings are lossy), each value as
  the other side would read it back, and what changed.
  Decides per field what flows where: a field changed on one side only flows to the other
  (ForceManager's only on two-way objects, and only into fields Salesforce lets the API write:
  int_object_fields); changed on both to different values, Salesforce's
  value wins and the field is a conflict. A field with no base (links recovered after a
  rebuild) takes Salesforce's value where the two differ; in the initial sync with
  `initial_sync: match`, and for a field newly mapped on a pair synced before (an upgrade that
  maps more fields), a value only one side holds fills the other instead (ForceManager's only
  on two-way objects), and Salesforce's where both hold one. A user pair
  (`field_mapping:`) flows only its `direction`. A Salesforce country ForceManager's countries
  list lacks is not carried (is_country_unknown: listed in the plan as skipped).
  A value ForceManager is certain to refuse (int_object_fields, from its /schema) is not sent:
  a text longer than the field's limit, or a null in a required field (forcemanager_refusal
  says why; is_refused_by_forcemanager where it would have been written). Its base moves all
  the same, so it is not retried; a later Salesforce change is written again.
-#}
{%- set stored = state_relation(source('crmsync_state', 'sync_base')) %}

with

-- the stored base (read twice: inlined, macros/planner.sql)
base as {{ crmsync_inline() }} (
  {%- if stored is not none %}
  select object, sync_key, field, base_salesforce, base_forcemanager
  from {{ stored }}
  {%- else %}
  {{ empty_relation(crmsync_base_columns()) }}
  {%- endif %}
),

-- each pair flags whether it has a base for any field: a field newly mapped on a pair synced
-- before merges like `initial_sync: match` (decided below). The flag is looked up per pair
-- rather than taken over each pair's rows, which would sort every compared value.
pairs as (
  select
    record_pairs.*,
    based.sync_key is not null as pair_has_base
  from {{ ref('int_record_pairs') }} as record_pairs
  left join (
    -- only the compared pairs' base rows are read into the distinct, not the whole stored base
    select distinct base.object, base.sync_key
    from base
    inner join {{ ref('int_record_pairs') }} as compared_pairs
      on compared_pairs.object = base.object
      and compared_pairs.sync_key = base.sync_key
      and not compared_pairs.is_clean
  ) as based
    on based.object = record_pairs.object
    and based.sync_key = record_pairs.sync_key
  where (record_pairs.salesforce_state = 'live' or record_pairs.forcemanager_state = 'live')
    and not record_pairs.is_clean
),

fields as (
  select * from {{ ref('int_object_fields') }}
),

-- each compared pair's current value of each mapped field (int_pair_values)
pair_values as (
  select * from {{ ref('int_pair_values') }}
),

users as (
  select * from {{ ref('int_users_mapped') }}
),

options as (
  select * from {{ ref('stg_crmsync__options') }}
),

current_values as (
  select
    pairs.object,
    pairs.sync_key,
    pairs.is_two_way,
    pairs.pair_has_base,
    pairs.salesforce_state,
    pairs.forcemanager_state,
    fields.field,
    fields.kind,
    fields.ref_object,
    fields.field_order,
    coalesce(fields.direction, 'two-way') as direction,
    coalesce(fields.salesforce_createable, true) as salesforce_createable,
    coalesce(fields.salesforce_updateable, true) as salesforce_updateable,
    fields.salesforce_field,
    fields.forcemanager_field,
    fields.forcemanager_max_length,
    coalesce(fields.forcemanager_required, false) as forcemanager_required,
    pair_values.salesforce_value,
    pair_values.forcemanager_value,
    pair_values.is_ref_blocked_in_forcemanager,
    pair_values.is_ref_held_in_forcemanager
  from pair_values
  inner join pairs
    on pairs.object = pair_values.object
    and pairs.sync_key = pair_values.sync_key
  inner join fields
    on fields.object = pair_values.object
    and fields.field = pair_values.field
),

-- each value as the other side reads it back once crmsync writes it
translated as (
  select
    current_values.*,
    case
      when current_values.salesforce_value is null then null
      -- a reference to a record ForceManager cannot hold is left out of the write
      when current_values.is_ref_blocked_in_forcemanager then {{ unknown_value() }}
      -- as is a country ForceManager's countries list lacks
      when current_values.kind = 'country' and current_values.salesforce_value like 'unmatched:%'
        then {{ unknown_value() }}
      when current_values.kind = 'probability'
        then {{ crmsync_number_text('round(cast(current_values.salesforce_value as double) / 10) * 10') }}
      -- ForceManager keeps hours and minutes only
      when current_values.kind = 'datetime_split'
        then {{ dbt.concat(["substr(current_values.salesforce_value, 1, 16)", "':00Z'"]) }}
      -- no counterpart and no default owner: the owner is left out of the write
      when current_values.kind = 'owner'
        then coalesce(
          to_forcemanager.to_user_id,
          cast(options.default_forcemanager_owner as {{ dbt.type_string() }}),
          {{ unknown_value() }}
        )
      else current_values.salesforce_value
    end as salesforce_as_forcemanager,
    case
      when current_values.forcemanager_value is null then null
      when current_values.is_ref_held_in_forcemanager then {{ unknown_value() }}
      when current_values.kind = 'owner'
        then coalesce(
          to_salesforce.to_user_id, options.default_salesforce_owner, {{ unknown_value() }}
        )
      else current_values.forcemanager_value
    end as forcemanager_as_salesforce,
    -- initial_sync: match merges a pair with no base: a value set on both sides takes
    -- Salesforce's, a value set on one side only fills the other
    {{ crmsync_is_match() }} as is_match
  from current_values
  cross join options
  left join users as to_forcemanager
    on current_values.kind = 'owner'
    and to_forcemanager.direction = 'sf_to_fm'
    and to_forcemanager.from_user_id = current_values.salesforce_value
  left join users as to_salesforce
    on current_values.kind = 'owner'
    and to_salesforce.direction = 'fm_to_sf'
    and to_salesforce.from_user_id = current_values.forcemanager_value
),

-- activities, events and tasks whose ForceManager record has an opportunity (read from the
-- table: a CTE read twice would be computed into a temporary result of every compared value)
with_opportunity as (
  select object, sync_key
  from {{ ref('int_pair_values') }}
  where field = 'opportunity'
    and object in ('activities', 'events', 'tasks')
    and forcemanager_value is not null
),

compared as (
  select
    translated.*,
    base.sync_key is not null as has_base,
    base.base_salesforce,
    base.base_forcemanager,
    -- an unknown base (a write that left the owner out) takes whatever the side reads back
    case
      when base.sync_key is null then null
      when base.base_salesforce = {{ unknown_value() }} then false
      else translated.salesforce_value is distinct from base.base_salesforce
    end as salesforce_changed,
    case
      when base.sync_key is null then null
      when base.base_forcemanager = {{ unknown_value() }} then false
      else translated.forcemanager_value is distinct from base.base_forcemanager
    end as forcemanager_changed,
    translated.salesforce_as_forcemanager is distinct from translated.forcemanager_value
      as differs,
    -- Salesforce keeps an activity's account and opportunity in one field (WhatId): with an
    -- opportunity set, the account is derived from it and is not written
    translated.field = 'account' and with_opportunity.sync_key is not null
      as is_derived_in_salesforce
  from translated
  left join base
    on base.object = translated.object
    and base.sync_key = translated.sync_key
    and base.field = translated.field
  left join with_opportunity
    on translated.field = 'account'
    and with_opportunity.object = translated.object
    and with_opportunity.sync_key = translated.sync_key
),

-- what ForceManager's /schema says it refuses: a longer text, a null in a required field
-- (an owner with no counterpart is left out and defaults to the API user)
refusals as (
  select
    compared.*,
    case
      when kind = 'text' and forcemanager_max_length is not null
        and length(salesforce_as_forcemanager) > forcemanager_max_length
        then salesforce_field || ' is ' || cast(length(salesforce_as_forcemanager) as {{ dbt.type_string() }})
          || ' characters, longer than ForceManager''s ' || forcemanager_field || ' limit of '
          || cast(forcemanager_max_length as {{ dbt.type_string() }})
      when forcemanager_required and kind <> 'owner'
        and (salesforce_as_forcemanager is null or salesforce_as_forcemanager = {{ unknown_value() }})
        then 'ForceManager requires ' || forcemanager_field || ' (' || salesforce_field || ' is empty)'
    end as forcemanager_refusal
  from compared
),

decided as (
  select
    refusals.*,
    coalesce(salesforce_as_forcemanager, '') <> {{ unknown_value() }}
      and direction <> 'fm_to_sf'
      and differs
      and (
        salesforce_changed
        or (not has_base and not ((is_match or pair_has_base) and salesforce_value is null))
      )
      as would_write_forcemanager,
    coalesce(forcemanager_as_salesforce, '') <> {{ unknown_value() }}
      and not is_derived_in_salesforce
      and is_two_way
      and salesforce_updateable
      and direction <> 'sf_to_fm'
      and (
        (has_base and forcemanager_changed and not salesforce_changed)
        or ((is_match or pair_has_base) and not has_base and salesforce_value is null)
      )
      and forcemanager_as_salesforce is distinct from salesforce_value
      as write_salesforce,
    coalesce(
      is_two_way and salesforce_updateable and direction = 'two-way'
      and salesforce_changed and forcemanager_changed and differs,
      false
    ) as is_conflict,
    -- a Salesforce country (changed, or on a pair with no base) ForceManager's list lacks
    coalesce(
      kind = 'country' and salesforce_as_forcemanager = {{ unknown_value() }}
      and (salesforce_changed or not has_base)
      and direction <> 'fm_to_sf',
      false
    ) as is_country_unknown,
    -- a ForceManager change to a field Salesforce does not let the API write: not carried
    -- (the field syncs one way), and listed in the plan rather than lost without a word
    coalesce(
      is_two_way and not salesforce_updateable and not is_derived_in_salesforce
      and forcemanager_changed and not salesforce_changed
      and forcemanager_as_salesforce is distinct from salesforce_value,
      false
    ) as is_held_one_way
  from refusals
),

refused as (
  select
    decided.*,
    coalesce(would_write_forcemanager and forcemanager_refusal is null, false) as write_forcemanager,
    coalesce(would_write_forcemanager and forcemanager_refusal is not null, false)
      as is_refused_by_forcemanager
  from decided
)

select
  object,
  sync_key,
  field,
  kind,
  ref_object,
  field_order,
  salesforce_createable,
  salesforce_updateable,
  salesforce_state,
  forcemanager_state,
  salesforce_value,
  forcemanager_value,
  salesforce_as_forcemanager,
  forcemanager_as_salesforce,
  has_base,
  base_salesforce,
  base_forcemanager,
  coalesce(salesforce_changed, false) as salesforce_changed,
  coalesce(forcemanager_changed, false) as forcemanager_changed,
  coalesce(write_forcemanager, false) as write_forcemanager,
  coalesce(write_salesforce, false) as write_salesforce,
  is_conflict,
  is_held_one_way,
  is_country_unknown,
  forcemanager_required,
  forcemanager_refusal,
  -- a longer text is left out of a create too (int_write_fields)
  coalesce(forcemanager_refusal is not null and kind = 'text', false) as is_too_long_for_forcemanager,
  is_refused_by_forcemanager,
  -- the base once this cycle's writes landed (a write that fails leaves the old base)
  case when coalesce(write_salesforce, false) then forcemanager_as_salesforce else salesforce_value end
    as next_base_salesforce,
  case when coalesce(write_forcemanager, false) then salesforce_as_forcemanager else forcemanager_value end
    as next_base_forcemanager
from refused
