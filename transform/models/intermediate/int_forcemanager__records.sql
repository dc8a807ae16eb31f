{#-
  Every ForceManager record, deleted ones included, with its link field (macros/records.sql):
  each object's staging model (stg_forcemanager__<object>), read from the raw rows loaded since
  the last plan, declared upstream for dbt (macros/lineage.sql).
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['raw_table', 'forcemanager_id'],
    on_schema_change='sync_all_columns',
    pre_hook="{{ prune_restaged_records('forcemanager') }}",
) }}
{%- do declare_upstreams(object_staging_models('forcemanager')) %}
{{ synced_records('forcemanager') }}
