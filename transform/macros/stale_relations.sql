{#-
  Drop the relations an earlier version of the project left in the schemas only its models
  write (staging, plan, publish): a model that became ephemeral, or was renamed or removed,
  leaves a view or table behind that nothing refreshes and that may fail when read (a view over
  a raw table whose columns moved on). Runs at the end of `dbt run` and `dbt build`; the sync
  state, `main` and the raw and settings schemas are never touched.
-#}
{% macro drop_stale_relations() %}
  {%- if not execute or flags.WHICH not in ('run', 'build') -%}{{ return('') }}{%- endif -%}
  {%- set owned = ['crmsync_staging', 'crmsync_plan', 'publish'] -%}
  {%- set current = {} -%}
  {%- for node in graph.nodes.values() -%}
    {%- if node.resource_type in ('model', 'seed', 'snapshot')
          and node.config.materialized != 'ephemeral'
          and (node.schema | lower) in owned -%}
      {%- do current.update({((node.schema | lower), ((node.alias or node.name) | lower)): true}) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set listed = run_query(
      "select table_schema, table_name, table_type from information_schema.tables"
      ~ " where lower(table_catalog) = lower('" ~ target.database ~ "')"
      ~ " and lower(table_schema) in ('" ~ owned | join("', '") ~ "')") -%}
  {%- for row in listed.rows -%}
    {%- set schema = row[0] | lower -%}
    {%- if (schema, row[1] | lower) not in current -%}
      {%- set relation = api.Relation.create(
          database=target.database, schema=row[0], identifier=row[1],
          type='view' if row[2] | upper == 'VIEW' else 'table') -%}
      {{ log('Dropping ' ~ relation ~ ': no model of this project builds it.', info=true) }}
      {%- do adapter.drop_relation(relation) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return('') }}
{% endmacro %}
