{#-
  Per record pair of the plan: did each planned write land? Matches the plan's actions with
  the sync log of the plan's run: a create by its source id, an update or delete by the
  target's id. A target that did not write a record (or failed) leaves it unconfirmed.
-#}
{% macro write_outcomes_sql() %}
  select
    actions.*,
    actions.forcemanager_action is null or exists (
      select 1 from {{ ref('stg_crmsync__sync_log_lines') }} as log_lines
      where log_lines.run_id = actions.run_id
        and log_lines.object = actions.object
        and log_lines.direction = 'sf_to_fm'
        and log_lines.action = actions.forcemanager_action
        and log_lines.status = 'success'
        and (
          (actions.forcemanager_action = 'create' and log_lines.salesforce_id = actions.salesforce_id)
          or (actions.forcemanager_action <> 'create'
            and log_lines.forcemanager_id = cast(actions.forcemanager_id as {{ dbt.type_string() }}))
        )
    ) as forcemanager_ok,
    actions.salesforce_action is null or exists (
      select 1 from {{ ref('stg_crmsync__sync_log_lines') }} as log_lines
      where log_lines.run_id = actions.run_id
        and log_lines.object = actions.object
        and log_lines.direction = 'fm_to_sf'
        and log_lines.action = actions.salesforce_action
        and log_lines.status = 'success'
        and (
          (actions.salesforce_action = 'create'
            and log_lines.forcemanager_id = cast(actions.forcemanager_id as {{ dbt.type_string() }}))
          or (actions.salesforce_action <> 'create' and log_lines.salesforce_id = actions.salesforce_id)
        )
    ) as salesforce_ok
  from {{ ref('int_record_actions') }} as actions
{% endmacro %}
