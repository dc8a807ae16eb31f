{#-
  Records held back by the initial sync's matching (initial_sync: match): ambiguous records are
  neither linked nor created, in the match plan and in the cycles after it, until an override
  or a later match plan resolves them. This plan's int_matches lists them in a match plan; in
  other plans the last match plan's main.sync_matches does (read by name: it is built after
  the plan's intermediate models). An ambiguous record's candidate on the other side is
  ambiguous too, or linked (a pair with both sides is never held).
-#}
{%- set stored_matches = existing_relation(api.Relation.create(
    database=target.database, schema='main', identifier='sync_matches')) %}

with

matches as (
  select * from {{ ref('int_matches') }}
),

held_rows as (
  select object, record_side, salesforce_id, forcemanager_id
  from matches
  where decision = 'ambiguous'
  {%- if stored_matches is not none %}
  union all
  select object, 'salesforce', salesforce_id, cast(null as bigint)
  from {{ stored_matches }}
  where decision = 'ambiguous'
    and salesforce_id is not null
    and '{{ var("sync_mode") }}' <> 'initial'
  union all
  select object, 'forcemanager', cast(null as {{ dbt.type_string() }}), forcemanager_id
  from {{ stored_matches }}
  where decision = 'ambiguous'
    and forcemanager_id is not null
    and '{{ var("sync_mode") }}' <> 'initial'
  {%- endif %}
)

select distinct
  object,
  record_side,
  case when record_side = 'salesforce' then salesforce_id end as salesforce_id,
  case when record_side = 'forcemanager' then forcemanager_id end as forcemanager_id
from held_rows
