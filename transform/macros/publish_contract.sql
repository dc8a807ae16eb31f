{#-
  The contract of a publish table of records (tests/publish_contracts.sql checks every one in
  a single test): what the target applies must be well-formed, or the run stops before any
  write. One row per violation, naming the rule. `target` is the system the table writes to:
  its own id is null exactly on creates, and a create carries the other system's id
  (ForceManager creates carry it as `extId`).
-#}
{% macro publish_contract_violations(model, target) %}
{%- set own_id = 'forcemanager_id' if target == 'forcemanager' else 'salesforce_id' -%}
{%- set other_id = 'salesforce_id' if target == 'forcemanager' else 'forcemanager_id' -%}

with rows as (
  select
    cast(salesforce_id as {{ dbt.type_string() }}) as salesforce_key,
    cast(forcemanager_id as {{ dbt.type_string() }}) as forcemanager_key,
    *
  from {{ model }}
)

select salesforce_key, forcemanager_key, 'run_id is null' as violation
from rows
where run_id is null

union all

select salesforce_key, forcemanager_key, 'action is not create, update or delete'
from rows
where action is null or action not in ('create', 'update', 'delete')

union all

select salesforce_key, forcemanager_key, 'fields or refs is null'
from rows
where fields is null or refs is null

union all

select salesforce_key, forcemanager_key, 'a create without the {{ other_id }} it comes from'
from rows
where action = 'create'
  and not coalesce(
    {{ own_id }} is null and {{ other_id }} is not null
    {%- if target == 'forcemanager' %}
    and json_extract_string(fields, '$.extId') = salesforce_key
    {%- endif %},
    false
  )

union all

select salesforce_key, forcemanager_key, 'an update or delete without the {{ own_id }}'
from rows
where action in ('update', 'delete') and {{ own_id }} is null

union all

select salesforce_key, forcemanager_key, 'more than one row for this record pair'
from rows
group by salesforce_key, forcemanager_key
having count(*) > 1

{% endmacro %}
