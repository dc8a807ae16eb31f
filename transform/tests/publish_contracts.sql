{#-
  Every publish table the targets apply, checked before any write: one row per violation,
  naming the table and the rule. One test rather than one per table: each dbt node costs about
  0.1 s of a cycle whatever the data, and the plan's tests run every 15 minutes.
-#}
{{ config(tags=['plan']) }}

with

violations as (
  {%- for target in ['forcemanager', 'salesforce'] %}
  {%- for object in crmsync_object_names() %}
  {%- set model = 'pub_' ~ target ~ '__' ~ object %}
  select '{{ model }}' as publish_table, salesforce_key, forcemanager_key, violation
  from ({{ publish_contract_violations(ref(model), target) }}) as {{ model }}_violations
  union all
  {%- endfor %}
  {%- endfor %}

  -- the extra fields target-forcemanager creates before the records that carry them
  select
    'pub_forcemanager__extra_fields',
    resource,
    {{ adapter.quote('fieldName') }},
    'run_id, resource or fieldName is null'
  from {{ ref('pub_forcemanager__extra_fields') }}
  where run_id is null or resource is null or {{ adapter.quote('fieldName') }} is null

  union all

  select
    'pub_forcemanager__extra_fields',
    resource,
    {{ adapter.quote('fieldName') }},
    'type is not text, decimal, bit, datetime or list'
  from {{ ref('pub_forcemanager__extra_fields') }}
  where {{ adapter.quote('type') }} is null
    or {{ adapter.quote('type') }} not in ('text', 'decimal', 'bit', 'datetime', 'list')

  union all

  select
    'pub_forcemanager__extra_fields',
    resource,
    {{ adapter.quote('fieldName') }},
    'more than one definition of this field'
  from {{ ref('pub_forcemanager__extra_fields') }}
  group by resource, {{ adapter.quote('fieldName') }}
  having count(*) > 1
)

select * from violations
