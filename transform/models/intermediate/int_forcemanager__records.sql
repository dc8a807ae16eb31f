{#- Every ForceManager record of a synced object, deleted ones included, with its link field. -#}
with

objects as (
  select * from {{ ref('int_sync_objects') }}
),

unioned as (
  {%- for object in crmsync_object_names() %}
  select
    '{{ object }}' as object,
    forcemanager_id,
    salesforce_id,
    is_deleted,
    modified_at
  from {{ ref('stg_forcemanager__' ~ object) }}
  {{- ' union all' if not loop.last }}
  {%- endfor %}
)

select unioned.*
from unioned
inner join objects on objects.object = unioned.object
where objects.is_synced
