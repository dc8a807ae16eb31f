{#-
  Raw and settings tables may be missing: a raw table before its object's first extraction
  (every object is extracted, synced or off; a tap's `objects` setting can leave one out), the
  settings before the first `crmsync prepare`, the sync log before the first apply, the sync
  state before the first report. These helpers read a relation when it exists and otherwise an
  empty, typed stand-in, so the plan builds on the sources there are.
-#}

{#- The relation behind `rel` if it exists in the warehouse, else none (none at parse time). -#}
{% macro existing_relation(rel) %}
  {%- if not execute -%}{{ return(none) }}{%- endif -%}
  {{ return(load_relation(rel)) }}
{% endmacro %}

{#- Lower-case column names of a relation that exists (empty list otherwise). -#}
{% macro relation_columns(rel) %}
  {%- if rel is none -%}{{ return([]) }}{%- endif -%}
  {%- set names = [] -%}
  {%- for col in adapter.get_columns_in_relation(rel) -%}
    {%- do names.append(col.name | lower) -%}
  {%- endfor -%}
  {{ return(names) }}
{% endmacro %}

{#-
  select `columns` (a list of (name, type) pairs) from `rel`, or an empty typed select when the
  relation does not exist; a column the relation lacks reads as null.
-#}
{% macro select_or_empty(rel, columns) %}
  {%- set existing = existing_relation(rel) -%}
  {%- if existing is none -%}{{ return(empty_relation(columns)) }}{%- endif -%}
  {%- set present = relation_columns(existing) -%}
  select
  {%- for name, type in columns %}
    {% if name in present -%}
      cast({{ adapter.quote(name) }} as {{ type }})
    {%- else -%}
      cast(null as {{ type }})
    {%- endif %} as {{ name }}{{ "," if not loop.last }}
  {%- endfor %}
  from {{ existing }}
{% endmacro %}

{#-
  An empty select of `columns` (a list of (name, type) pairs): the typed stand-in for a relation
  that is not there yet (a state table before the first report, a step a plan does not run).
-#}
{% macro empty_relation(columns) %}
  select
  {%- for name, type in columns %}
    cast(null as {{ type }}) as {{ name }}{{ "," if not loop.last }}
  {%- endfor %}
  {#- keeps the stand-in empty whatever the adapter's select-without-from rules #}
  from (select 1 as one) as empty_stand_in where 1 = 0
{% endmacro %}

{#-
  The sync state the report step wrote (models/marts/state), read by the plan through the
  crmsync_state source: `state_relation(source('crmsync_state', 'sync_links'))`. The plan cannot
  ref() it: the report depends on the plan, so a ref back would be a cycle. Returns none before
  the first report has run (the plan then reads an empty stand-in), and a unit test's `given`
  rows for the source as they are.
-#}
{% macro state_relation(rel) %}
  {%- if rel.type == 'cte' -%}{{ return(rel) }}{%- endif -%}
  {{ return(existing_relation(rel)) }}
{% endmacro %}

{#- The sync base's columns (models/marts/state/sync_base), for its empty stand-in. -#}
{% macro crmsync_base_columns() %}
  {{ return([
      ('object', dbt.type_string()), ('sync_key', dbt.type_string()), ('field', dbt.type_string()),
      ('base_salesforce', dbt.type_string()), ('base_forcemanager', dbt.type_string()),
  ]) }}
{% endmacro %}
