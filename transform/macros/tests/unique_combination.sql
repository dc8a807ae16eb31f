{#-
  Fails on every combination of `columns` held by more than one row: the primary key of a
  model whose grain is several columns (dbt_utils is not available).
-#}
{% test unique_combination(model, columns) %}

select
  {{ columns | join(', ') }},
  count(*) as rows_with_key
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
