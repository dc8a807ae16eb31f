{#-
  Fingerprints let a cycle skip the record pairs nothing has touched since the last one
  (docs/internals.md, "Clean pairs"): a pair whose two records and whose object's context hash
  as they did when its last comparison settled is compared no further.
-#}

{#- A hash of the given columns' values (nulls and order count), one value per row. -#}
{% macro crmsync_row_hash(columns) %}
  {{ return(adapter.dispatch('crmsync_row_hash', 'crmsync')(columns)) }}
{% endmacro %}

{% macro default__crmsync_row_hash(columns) %}
  {%- if not columns -%}
  cast(null as {{ dbt.type_string() }})
  {%- else -%}
  {%- set parts = [] -%}
  {%- for column in columns -%}
    {%- if not loop.first %}{%- do parts.append("'|'") -%}{%- endif -%}
    {#- a null reads differently from every text, the empty string included -#}
    {%- do parts.append("coalesce('=' || cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '~')") -%}
  {%- endfor -%}
  {{ dbt.hash(dbt.concat(parts)) }}
  {%- endif -%}
{% endmacro %}

{#- DuckDB hashes a row natively (a 64-bit hash, several times faster than md5 of text). -#}
{% macro duckdb__crmsync_row_hash(columns) %}
  {%- if not columns -%}
  cast(null as ubigint)
  {%- else -%}
  hash({{ columns | join(', ') }})
  {%- endif -%}
{% endmacro %}

{#-
  The version of the comparison rules (canonical forms, translations, write decisions): a
  change to them must bump it, so that the next cycle compares every pair under the new rules.
-#}
{% macro crmsync_comparison_version() %}{{ return('4') }}{% endmacro %}

{#- The SQL type crmsync_row_hash returns. -#}
{% macro crmsync_row_hash_type() %}
  {{ return(adapter.dispatch('crmsync_row_hash_type', 'crmsync')()) }}
{% endmacro %}

{% macro default__crmsync_row_hash_type() %}{{ return(dbt.type_string()) }}{% endmacro %}

{% macro duckdb__crmsync_row_hash_type() %}{{ return('ubigint') }}{% endmacro %}
