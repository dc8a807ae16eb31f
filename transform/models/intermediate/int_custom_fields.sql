{#-
  One row per Salesforce custom field on a synced object and the ForceManager extra field it
  syncs with. Discovered from describe at run time: a new custom field needs no code change.
-#}
with

salesforce_fields as (
  select * from {{ ref('stg_salesforce__fields') }}
),

extra_fields as (
  select * from {{ ref('stg_forcemanager__extra_fields') }}
),

objects as (
  select * from {{ ref('int_sync_objects') }}
),

-- a custom field the user paired with a ForceManager field (`field_mapping:`) syncs with that
-- field, not with an extra field of its own
user_pairs as (
  select * from {{ ref('stg_crmsync__field_pairs') }}
),

object_map as (
  {%- for name, spec in crmsync_objects().items() %}
  select
    '{{ name }}' as object,
    '{{ spec.sf_object }}' as salesforce_object,
    '{{ spec.fm_resource }}' as resource
  {{- ' union all' if not loop.last }}
  {%- endfor %}
),

custom as (
  select
    object_map.object,
    object_map.resource,
    salesforce_fields.field_name as salesforce_field,
    salesforce_fields.field_type as salesforce_type,
    salesforce_fields.picklist_values,
    -- `Customer_Tier__c` syncs with the extra field `Customer_Tier` (values as Z_Customer_Tier)
    {{ dbt.replace('salesforce_fields.field_name', "'__c'", "''") }} as default_fm_field,
    case
      when salesforce_fields.field_type in ('double', 'currency', 'percent', 'int', 'long') then 'number'
      when salesforce_fields.field_type = 'boolean' then 'boolean'
      when salesforce_fields.field_type = 'date' then 'date'
      when salesforce_fields.field_type = 'datetime' then 'datetime'
      else 'text'
    end as kind,
    case
      when salesforce_fields.field_type in ('double', 'currency', 'percent', 'int', 'long') then 'decimal'
      when salesforce_fields.field_type = 'boolean' then 'bit'
      when salesforce_fields.field_type in ('date', 'datetime') then 'datetime'
      when salesforce_fields.field_type in ('picklist', 'multipicklist') then 'list'
      else 'text'
    end as forcemanager_type
  from salesforce_fields
  inner join object_map on object_map.salesforce_object = salesforce_fields.salesforce_object
  inner join objects on objects.object = object_map.object
  where objects.is_synced
    and salesforce_fields.is_custom
    -- the link field is bookkeeping, not data
    and lower(salesforce_fields.field_name) <> 'forcemanager_id__c'
    and not exists (
      select 1 from user_pairs
      where user_pairs.object = object_map.object
        and lower(user_pairs.salesforce_field) = lower(salesforce_fields.field_name)
    )
)

select
  custom.object,
  lower(custom.default_fm_field) as field,
  custom.kind,
  custom.salesforce_field,
  custom.salesforce_type,
  custom.resource,
  -- an extra field ForceManager already has keeps its own spelling
  coalesce(extra_fields.field_name, custom.default_fm_field) as forcemanager_field,
  custom.forcemanager_type,
  custom.picklist_values,
  extra_fields.extra_field_id is not null as forcemanager_has_field
from custom
left join extra_fields
  on extra_fields.resource = custom.resource
  and lower(extra_fields.field_name) = lower(custom.default_fm_field)
