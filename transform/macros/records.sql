{#- Every record of a synced object on one system (`salesforce` or `forcemanager`), deleted
    ones included, with the field that links it to the other system, its owner (for
    unmapped_users) and a hash of every staged column but the modification time
    (macros/fingerprint.sql). -#}
{% macro synced_records(system) %}
with

objects as (
  select * from {{ ref('int_sync_objects') }}
),

unioned as (
  {%- for object in crmsync_object_names() %}
  {%- set staged = ref('stg_' ~ system ~ '__' ~ object) %}
  {%- set owner = crmsync_objects()[object].fields
      | selectattr('kind', 'equalto', 'owner') | map(attribute='name') | first %}
  {%- set hashed = [] %}
  {%- for column in staged_columns(system, object) if column != 'modified_at' %}
    {%- do hashed.append(adapter.quote(column)) %}
  {%- endfor %}
  select
    '{{ object }}' as object,
    salesforce_id,
    forcemanager_id,
    is_deleted,
    modified_at,
    {% if owner -%}
    {{ canonical_text("'owner'", adapter.quote(owner)) }}
    {%- else -%}
    cast(null as {{ dbt.type_string() }})
    {%- endif %} as owner_id,
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
