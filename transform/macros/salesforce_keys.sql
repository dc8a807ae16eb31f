{#-
  Salesforce's `ForceManager_Id__c`: the ForceManager id a Salesforce record stands for, a
  unique external id the target upserts creates on (a re-run after a crash updates the record
  the first run created). ForceManager numbers activities and calendar tasks apart, while
  Salesforce keeps both in Task: where one object's id is already taken in Task by the other
  (`int_record_pairs.is_salesforce_key_taken`), the record's key is qualified by its object
  (`task:12`, `activity:12`). Every other record carries the plain id.
-#}

{#- The qualifier of an object whose key is taken in its Salesforce object. -#}
{% macro crmsync_salesforce_key_prefix(object) %}
  {{- return({'activities': 'activity', 'tasks': 'task'}.get(object, object)) -}}
{% endmacro %}

{#- The key a record of `object_column` (a column holding the object) writes: `id_text` (text)
    or, when `is_taken`, qualified by its object. -#}
{% macro crmsync_salesforce_key(object_column, id_text, is_taken) %}
  case
    when coalesce({{ is_taken }}, false) then
      case {{ object_column }}
        {%- for object in ['activities', 'tasks'] %}
        when '{{ object }}' then '{{ crmsync_salesforce_key_prefix(object) }}:' || {{ id_text }}
        {%- endfor %}
        else {{ object_column }} || ':' || {{ id_text }}
      end
    else {{ id_text }}
  end
{% endmacro %}

{#- The ForceManager id in a `ForceManager_Id__c` value, plain or qualified (`task:12`). -#}
{% macro crmsync_forcemanager_id_of_key(value) %}
  cast(
    case
      when {{ dbt.position("':'", value) }} > 0
        then {{ dbt.split_part(value, "':'", 2) }}
      else {{ value }}
    end
  as bigint)
{% endmacro %}
