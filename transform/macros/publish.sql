{#-
  A publish table: exactly the rows one target applies for one object (docs/internals.md,
  "Publish tables"). Built on every plan, empty when there is nothing to do, so a target never
  reads a previous plan's rows.
-#}
{% macro publish_rows(target_system, object) %}
{%- set action_column = target_system ~ '_action' %}

with

actions as (
  select * from {{ ref('int_record_actions') }}
  where object = '{{ object }}'
    and {{ action_column }} is not null
),

write_fields as (
  select * from {{ ref('int_write_fields') }}
  where object = '{{ object }}'
    and target = '{{ target_system }}'
),

fields_json as (
  select
    sync_key,
    {{ dbt.listagg(
        "'\"' || api_field || '\":' || json_value", "','", "order by field_order, api_field") }}
      as field_pairs
  from write_fields
  where json_value is not null
  group by sync_key
),

refs_json as (
  select
    sync_key,
    {{ dbt.listagg("'\"' || api_field || '\":' || ref_json", "','", "order by api_field") }}
      as ref_pairs
  from write_fields
  where ref_json is not null
  group by sync_key
)

select
  actions.run_id,
  actions.{{ action_column }} as action,
  {%- if target_system == 'forcemanager' %}
  actions.salesforce_id,
  case when actions.{{ action_column }} <> 'create' then actions.forcemanager_id end
    as forcemanager_id,
  {%- else %}
  case when actions.{{ action_column }} <> 'create' then actions.salesforce_id end
    as salesforce_id,
  actions.forcemanager_id,
  {%- endif %}
  case
    when actions.{{ action_column }} = 'delete' then '{}'
    else '{' || coalesce(fields_json.field_pairs, '') || '}'
  end as fields,
  case
    when actions.{{ action_column }} = 'delete' then '{}'
    else '{' || coalesce(refs_json.ref_pairs, '') || '}'
  end as refs
from actions
left join fields_json on fields_json.sync_key = actions.sync_key
left join refs_json on refs_json.sync_key = actions.sync_key
{% endmacro %}
