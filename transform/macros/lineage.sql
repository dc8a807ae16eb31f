{#-
  Upstreams a model reads without `ref` in its compiled SQL, declared for dbt's graph.

  The values and records models stage the raw rows of each object themselves (`stage_object`,
  macros/staging.sql) so that a filter reaches the raw read (the ids of the pairs to compare,
  the rows loaded since the last plan); what they read is the object's staging model with that
  filter pushed in. `declare_upstreams` calls `ref` for each named model while dbt parses
  (`execute` false), so the manifest's `depends_on`, `dbt ls --select +model` and `dbt docs`
  show those staging models upstream, and dbt orders the run by them; at compile time it calls
  nothing, so an ephemeral model's SQL is not injected again as a CTE the query never reads
  (dbt would also look up its raw table's columns once more per cycle). The same holds for
  `int_matches`, whose reads only an initial sync's plan compiles.
-#}
{% macro declare_upstreams(models) %}
  {%- if not execute -%}
    {%- for name in models -%}{%- do ref(name) -%}{%- endfor -%}
  {%- endif -%}
{% endmacro %}

{#- The object staging models of one system (`salesforce` or `forcemanager`), one per object. -#}
{% macro object_staging_models(system) %}
  {%- set names = [] -%}
  {%- for object in crmsync_object_names() -%}
    {%- do names.append('stg_' ~ system ~ '__' ~ object) -%}
  {%- endfor -%}
  {{ return(names) }}
{% endmacro %}
