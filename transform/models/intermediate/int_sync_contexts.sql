{#-
  What a record pair's comparison reads besides its two records: the object's field mapping
  (a user pair's direction included), for opportunities the ForceManager status labels stages
  compare by, and for objects with a country field the countries list countries compare by. A pair is compared
  again whenever this changes (int_record_pairs.is_clean). The rest of the comparison's inputs
  (user mapping, default owners, the object's direction) only decide where a changed value
  flows, so a pair with no change on either side plans nothing whatever they hold.
-#}
with

objects as (
  select * from {{ ref('int_sync_objects') }}
  where is_synced
),

fields as (
  select * from {{ ref('int_object_fields') }}
),

statuses as (
  select * from {{ ref('stg_forcemanager__opportunitystatuses') }}
),

field_lists as (
  select
    object,
    {{ dbt.listagg(
        dbt.concat([
          "field", "'/'", "kind", "'/'", "coalesce(ref_object, '')", "'/'", "salesforce_field",
          "'/'", "forcemanager_field", "'/'", "coalesce(forcemanager_hour_field, '')",
          "'/'", "coalesce(direction, '')"]),
        "';'", "order by field") }} as mapping
  from fields
  group by object
),

country_keys as (
  select * from {{ ref('int_country_keys') }}
),

country_lists as (
  select
    {{ dbt.listagg(
        dbt.concat([
          "country_key", "'='", "cast(country_id as " ~ dbt.type_string() ~ ")"]),
        "';'", "order by country_key") }} as countries
  from country_keys
),

status_labels as (
  select
    {{ dbt.listagg(
        dbt.concat([
          "cast(opportunity_status_id as " ~ dbt.type_string() ~ ")", "'='",
          "coalesce(label_en, '')"]),
        "';'", "order by opportunity_status_id") }} as labels
  from statuses
)

select
  objects.object,
  {{ dbt.hash(dbt.concat([
      "'" ~ crmsync_comparison_version() ~ "'", "'|'", "coalesce(field_lists.mapping, '')",
      "'|'",
      "case when objects.object = 'opportunities' then coalesce(status_labels.labels, '') else '' end",
      "'|'",
      "case when field_lists.mapping like '%/country/%' then coalesce(country_lists.countries, '') else '' end",
  ])) }} as context_hash
from objects
left join field_lists on field_lists.object = objects.object
cross join status_labels
cross join country_lists
