{#-
  Salesforce values in the long (record, field) shape, canonical text (macros/canonical.sql):
  one row per live record of a pair to compare (int_record_pairs: clean pairs are skipped) and
  mapped field, standard and custom alike.
  References stay Salesforce ids here; int_field_changes turns them into sync keys.
-#}
{%- set objects = crmsync_objects() %}
{%- set system = 'salesforce' %}

with

fields as (
  select * from {{ ref('int_object_fields') }}
),

to_compare as (
  select object, salesforce_id as record_id from {{ ref('int_record_pairs') }}
  where not is_clean
    and salesforce_state = 'live'
),
{% for object, spec in objects.items() %}
{%- set staged = ref('stg_salesforce__' ~ object) %}
{%- set columns = staged_columns(system, object) %}
{{ object }}_values as (
  select
    '{{ object }}' as object,
    staged.salesforce_id as record_id,
    fields.field,
    fields.kind,
    case fields.field
      {%- for f in spec.fields %}
      when '{{ f.name }}' then cast(staged.{{ adapter.quote(f.name) }} as {{ dbt.type_string() }})
      {%- endfor %}
      {%- for column in columns %}
      {%- if (system == 'salesforce' and column.endswith('__c') and column != 'forcemanager_id__c')
            or (system == 'forcemanager' and column.startswith('z_')) %}
      when '{{ column[:-3] if system == 'salesforce' else column[2:] }}'
        then cast(staged.{{ adapter.quote(column) }} as {{ dbt.type_string() }})
      {%- endif %}
      {%- endfor %}
    end as raw_value
  from {{ staged }} as staged
  inner join fields on fields.object = '{{ object }}'
  inner join to_compare
    on to_compare.object = '{{ object }}'
    and to_compare.record_id = staged.salesforce_id
  where not staged.is_deleted
),
{% endfor %}
unioned as (
  {%- for object in objects %}
  select * from {{ object }}_values
  {{- ' union all' if not loop.last }}
  {%- endfor %}
)

select
  object,
  record_id,
  field,
  kind,
  {{ canonical_text('kind', 'raw_value') }} as value
from unioned
