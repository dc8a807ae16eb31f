with

source as (
  {{ select_or_empty(source('raw_forcemanager', 'branches'), [
      ('id', 'bigint'), ('descriptionen', dbt.type_string()), ('deleted', 'boolean'),
      ('_sdc_batched_at', dbt.type_timestamp())]) }}
),

ranked as (
  select
    *,
    row_number() over (partition by id order by _sdc_batched_at desc) as version_rank
  from source
)

select
  id as branch_id,
  -- lookups are matched by their English label (e.g. a status is a Salesforce stage name)
  descriptionen as label_en,
  coalesce(deleted, false) as is_deleted
from ranked
where version_rank = 1
