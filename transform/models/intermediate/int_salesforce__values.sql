{#-
  Salesforce values in the long (record, field) shape, canonical text (macros/canonical.sql):
  one row per live record of a pair to compare (int_record_pairs: clean pairs are skipped) and
  mapped field, standard and custom alike, keyed by the pair's sync key (int_pair_values meets
  the two sides on it). It reads each object's staging model
  (stg_salesforce__<object>) with the ids of those records pushed into its raw read
  (`stage_object`, macros/staging.sql), declared upstream for dbt (macros/lineage.sql).
  References stay Salesforce ids here; int_pair_values turns them into sync keys. A country
  (kind country) compares as the ForceManager country its text names (int_country_keys); text
  that names none stays `unmatched:<text>`, never equal to a country id.
-#}
{%- set objects = crmsync_objects() %}
{%- set system = 'salesforce' %}
{%- do declare_upstreams(object_staging_models(system)) %}

with

fields as (
  select * from {{ ref('int_object_fields') }}
),

-- read twice per object: its ids go into the raw read (they must filter before the staging's
-- version window, docs/internals.md), and the join gives each record its pair's sync key
to_compare as (
  select object, sync_key, salesforce_id as record_id from {{ ref('int_record_pairs') }}
  where not is_clean
    and salesforce_state = 'live'
),
{% for object, spec in objects.items() %}
{%- set inputs = staging_inputs(system, object) %}
{{ object }}_values as (
  select
    '{{ object }}' as object,
    to_compare.sync_key,
    fields.field,
    fields.kind,
    case fields.field
      {%- for f in spec.fields %}
      when '{{ f.name }}' then cast(staged.{{ adapter.quote(f.name) }} as {{ dbt.type_string() }})
      {%- endfor %}
      {%- for column in inputs.custom %}
      when '{{ column[:-3] if system == 'salesforce' else column[2:] }}'
        then cast(staged.{{ adapter.quote(column) }} as {{ dbt.type_string() }})
      {%- endfor %}
    end as raw_value
  from (
    {{ stage_object(system, object, inputs=inputs,
        ids="select record_id from to_compare where object = '" ~ object ~ "'") }}
  ) as staged
  inner join to_compare
    on to_compare.object = '{{ object }}'
    and to_compare.record_id = staged.salesforce_id
  inner join fields on fields.object = '{{ object }}'
  where not staged.is_deleted
),
{% endfor %}
country_keys as (
  select * from {{ ref('int_country_keys') }}
),

unioned as (
  {%- for object in objects %}
  select * from {{ object }}_values
  {{- ' union all' if not loop.last }}
  {%- endfor %}
)

-- one pass over the values: a country (kind country) is normalised and looked up in the
-- countries list, every other value only canonicalised (a CTE read twice would be computed
-- into a temporary result of every value first)
select
  unioned.object,
  unioned.sync_key,
  unioned.field,
  unioned.kind,
  case
    when unioned.kind <> 'country' then {{ canonical_text('unioned.kind', 'unioned.raw_value') }}
    when nullif(trim(unioned.raw_value), '') is null then null
    when country_keys.country_id is not null
      then cast(country_keys.country_id as {{ dbt.type_string() }})
    else 'unmatched:' || trim(unioned.raw_value)
  end as value
from unioned
left join country_keys
  on country_keys.country_key = case
    when unioned.kind = 'country' then {{ crmsync_normalised_name('unioned.raw_value') }}
  end
