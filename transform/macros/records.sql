{#- Every record of a synced object on one system (`salesforce` or `forcemanager`), deleted
    ones included, with the field that links it to the other system and a hash of every
    staged column but the modification time (macros/fingerprint.sql). -#}
{% macro synced_records(system) %}
with

objects as (
  select * from {{ ref('int_sync_objects') }}
),

unioned as (
  {%- for object in crmsync_object_names() %}
  {%- set staged = ref('stg_' ~ system ~ '__' ~ object) %}
  {%- set hashed = [] %}
  {%- for column in relation_columns(existing_relation(staged)) if column != 'modified_at' %}
    {%- do hashed.append(adapter.quote(column)) %}
  {%- endfor %}
  select
    '{{ object }}' as object,
    salesforce_id,
    forcemanager_id,
    is_deleted,
    modified_at,
    {{ crmsync_row_hash(hashed) }} as row_hash
  from {{ staged }}
  {{- ' union all' if not loop.last }}
  {%- endfor %}
)

select unioned.*
from unioned
inner join objects on objects.object = unioned.object
where objects.is_synced
{% endmacro %}
