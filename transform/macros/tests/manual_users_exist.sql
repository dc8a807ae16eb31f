{#-
  Fails the plan, before anything is written, when the manual owner mapping names a user that
  does not exist on its side. The query raises an error whose message names the setting
  (`user_mapping.manual`) and the user, so the run's output says what to fix.
-#}
{% test manual_users_exist(model, salesforce_users, forcemanager_users) %}

with

mapping as (
  select * from {{ model }}
),

missing as (
  select
    'user_mapping.manual: Salesforce user ' || mapping.salesforce_user_id
      || ' does not exist in Salesforce' as problem
  from mapping
  left join {{ salesforce_users }} as users
    on users.salesforce_user_id = mapping.salesforce_user_id
  where users.salesforce_user_id is null
  union all
  select
    'user_mapping.manual: ForceManager user '
      || cast(mapping.forcemanager_user_id as {{ dbt.type_string() }})
      || ' does not exist in ForceManager' as problem
  from mapping
  left join {{ forcemanager_users }} as users
    on users.forcemanager_user_id = mapping.forcemanager_user_id
  where users.forcemanager_user_id is null
)

select
  problem,
  {{ crmsync_raise("problem") }} as failure
from missing

{% endtest %}
