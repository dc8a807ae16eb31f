{#- Every record of a synced object on one system (`salesforce` or `forcemanager`), deleted
    ones included, with the field that links it to the other system. -#}
{% macro synced_records(system) %}
with

objects as (
  select * from {{ ref('int_sync_objects') }}
),

unioned as (
  {%- for object in crmsync_object_names() %}
  select
    '{{ object }}' as object,
    salesforce_id,
    forcemanager_id,
    is_deleted,
    modified_at
  from {{ ref('stg_' ~ system ~ '__' ~ object) }}
  {{- ' union all' if not loop.last }}
  {%- endfor %}
)

select unioned.*
from unioned
inner join objects on objects.object = unioned.object
where objects.is_synced
{% endmacro %}
