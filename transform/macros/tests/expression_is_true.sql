{#-
  Fails on every row where `expression` is not true (false or null): a row-level invariant.
  `where` narrows the rows it applies to, e.g. `action = 'create'`.
-#}
{% test expression_is_true(model, expression) %}

select *
from {{ model }}
where not coalesce({{ expression }}, false)

{% endtest %}
