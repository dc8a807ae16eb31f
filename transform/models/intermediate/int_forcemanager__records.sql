{#- Every ForceManager record, deleted ones included, with its link field (macros/records.sql). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['raw_table', 'forcemanager_id'],
    on_schema_change='sync_all_columns',
    pre_hook="{{ prune_restaged_records('forcemanager') }}",
) }}
{{ synced_records('forcemanager') }}
