{#- Every Salesforce record of a synced object, deleted ones included, with its link field. -#}
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
  from {{ ref('stg_salesforce__' ~ object) }}
  {{- ' union all' if not loop.last }}
  {%- endfor %}
)

select unioned.*
from unioned
inner join objects on objects.object = unioned.object
where objects.is_synced
