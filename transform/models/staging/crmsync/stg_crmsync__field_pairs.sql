with

source as (
  {{ select_or_empty(source('crmsync_settings', 'field_pairs'), [
      ('object', dbt.type_string()), ('field', dbt.type_string()),
      ('salesforce_field', dbt.type_string()), ('forcemanager_field', dbt.type_string()),
      ('direction', dbt.type_string())]) }}
)

select
  object,
  field,
  salesforce_field,
  forcemanager_field,
  direction
from source
