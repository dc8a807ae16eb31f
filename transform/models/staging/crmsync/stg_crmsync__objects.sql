with

source as (
  {{ select_or_empty(source('crmsync_settings', 'objects'), [
      ('object', dbt.type_string()), ('mode', dbt.type_string())]) }}
)

select
  lower(trim(object)) as object,
  lower(trim(mode)) as mode
from source
