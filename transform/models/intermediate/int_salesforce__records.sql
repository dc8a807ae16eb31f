{#-
  Every Salesforce record, deleted ones included, with its link field (macros/records.sql):
  each object's staging model (stg_salesforce__<object>), read from the raw rows loaded since
  the last plan, declared upstream for dbt (macros/lineage.sql).
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['raw_table', 'salesforce_id'],
    on_schema_change='sync_all_columns',
    pre_hook="{{ prune_restaged_records('salesforce') }}",
) }}
{%- do declare_upstreams(object_staging_models('salesforce')) %}
{{ synced_records('salesforce') }}
