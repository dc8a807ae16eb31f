{#-
  Hints for the database's query planner where its default choice costs seconds at scale.
  Each dispatches: DuckDB gets the hint, other adapters plan as they see fit.
-#}

{#-
  Keeps the object's filter (applied after the de-duplication: the latest version decides
  which object a row belongs to) out of the de-duplication's own filter. DuckDB turns "the
  first row of each id" into an aggregate, but not once another condition joins it; then it
  sorts every version of every row instead (3 s of 5 for the 2,000,000 raw Salesforce tasks
  behind activities and tasks). A limit no table reaches is a fence its optimizer keeps.
-#}
{% macro crmsync_filter_fence() %}
  {{ return(adapter.dispatch('crmsync_filter_fence', 'crmsync')()) }}
{% endmacro %}

{% macro default__crmsync_filter_fence() %}{% endmacro %}

{% macro duckdb__crmsync_filter_fence() %}limit 9223372036854775807{% endmacro %}
