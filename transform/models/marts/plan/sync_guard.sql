{#- The mass-change breaker's figures (`crmsync guard` compares them with the `safety:` limits):
    per synced object and side written, what the plan would create, update and delete there,
    and how many live records that side holds before the cycle writes. Those are the side's
    live records as this cycle extracted them: every record a planned delete or update would
    touch is still among them (the cycle has written nothing yet), so a share never exceeds 1.
    The other side's count would be the wrong base: the records deleted there are already gone
    from it, which would double the share of a half wiped out. -#}
with

objects as (
  select * from {{ ref('int_sync_objects') }}
  where is_synced
),

plan_rows as (
  select * from {{ ref('sync_plan') }}
),

sides as (
  select 'salesforce' as side, 'fm_to_sf' as direction
  union all
  select 'forcemanager', 'sf_to_fm'
),

planned as (
  select
    object,
    direction,
    sum(case when action = 'create' then 1 else 0 end) as planned_creates,
    sum(case when action = 'update' then 1 else 0 end) as planned_updates,
    sum(case when action = 'delete' then 1 else 0 end) as planned_deletes
  from plan_rows
  group by object, direction
),

live as (
  {%- for system in ['salesforce', 'forcemanager'] %}
  select '{{ system }}' as side, object, count(*) as live_records
  from {{ ref('int_' ~ system ~ '__records') }}
  where not is_deleted
  group by object
  {{- ' union all' if loop.first }}
  {%- endfor %}
)

select
  objects.run_id,
  objects.sync_mode,
  objects.object,
  objects.object_order,
  sides.side,
  sides.direction,
  coalesce(live.live_records, 0) as live_records,
  coalesce(planned.planned_creates, 0) as planned_creates,
  coalesce(planned.planned_updates, 0) as planned_updates,
  coalesce(planned.planned_deletes, 0) as planned_deletes
from objects
cross join sides
left join live
  on live.object = objects.object
  and live.side = sides.side
left join planned
  on planned.object = objects.object
  and planned.direction = sides.direction
