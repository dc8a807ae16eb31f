{{ config(materialized='view') }}  {#- unit tests feed it rows (dbt_project.yml) -#}

with

source as (
  {{ select_or_empty(source('crmsync_settings', 'options'), [
      ('auto_match_users', 'boolean'), ('default_forcemanager_owner', 'bigint'),
      ('default_salesforce_owner', dbt.type_string()), ('initial_sync', dbt.type_string())]) }}
),

-- Exactly one row whatever the table holds: defaults when the CLI wrote none.
one_row as (
  select
    bool_or(auto_match_users) as auto_match_users,
    max(default_forcemanager_owner) as default_forcemanager_owner,
    max(nullif(trim(default_salesforce_owner), '')) as default_salesforce_owner,
    max(nullif(trim(initial_sync), '')) as initial_sync
  from source
)

select
  coalesce(auto_match_users, true) as auto_match_users,
  default_forcemanager_owner,
  default_salesforce_owner,
  coalesce(initial_sync, 'replace') as initial_sync
from one_row
