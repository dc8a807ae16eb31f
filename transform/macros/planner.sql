{#-
  Hints for the database's query planner where its default choice costs seconds at scale.
  Each dispatches: DuckDB gets the hint, other adapters plan as they see fit.
-#}

{#-
  Keeps the object's filter (applied after the de-duplication: the latest version decides
  which object a row belongs to) out of the de-duplication's own filter. DuckDB turns "the
  first row of each id" into an aggregate, but not once another condition joins it; then it
  sorts every version of every row instead, which is most of the staging's time at scale. A
  limit no table reaches is a fence its optimizer keeps.
-#}
{% macro crmsync_filter_fence() %}
  {{ return(adapter.dispatch('crmsync_filter_fence', 'crmsync')()) }}
{% endmacro %}

{% macro default__crmsync_filter_fence() %}{% endmacro %}

{% macro duckdb__crmsync_filter_fence() %}limit 9223372036854775807{% endmacro %}

{#-
  Lets a CTE that a model reads more than once be computed at each read, as a view would.
  DuckDB otherwise computes such a CTE once into a temporary result: for a CTE over millions
  of rows (int_links reads the stored links and the records twice) writing and re-reading
  that result costs more than scanning the table again, and it hides the table's statistics
  from the joins that read it. Use as `name as {{ crmsync_inline() }} (...)`.
-#}
{% macro crmsync_inline() %}
  {{ return(adapter.dispatch('crmsync_inline', 'crmsync')()) }}
{% endmacro %}

{% macro default__crmsync_inline() %}{% endmacro %}

{% macro duckdb__crmsync_inline() %}not materialized{% endmacro %}
