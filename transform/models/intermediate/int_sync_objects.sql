with

settings as (
  select * from {{ ref('stg_crmsync__objects') }}
),

objects as (
  {%- for object in crmsync_object_names() %}
  select '{{ object }}' as object, {{ loop.index }} as object_order
  {{- ' union all' if not loop.last }}
  {%- endfor %}
),

moded as (
  select
    objects.object,
    objects.object_order,
    -- an object the settings do not name is off (the settings check refuses accounts off,
    -- and this model's tests hold it)
    coalesce(settings.mode, 'off') as mode
  from objects
  left join settings on settings.object = objects.object
)

select
  object,
  object_order,
  mode,
  mode <> 'off' as is_synced,
  mode = 'two-way' as is_two_way,
  '{{ var("sync_mode") }}' as sync_mode,
  '{{ invocation_id }}' as run_id,
  cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }}) as run_started_at
from moded
