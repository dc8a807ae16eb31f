{#-
  The field mapping as a table: one row per synced object and canonical field, standard
  (macros/field_mapping.sql) and custom (int_custom_fields), with the API names each target
  writes and whether Salesforce lets the API write the field (describe): a field it does not
  (formula, roll-up, system) syncs from Salesforce to ForceManager only. What ForceManager
  refuses on write comes from its /schema (stg_forcemanager__fields): the longest text a field
  takes and whether it is required. A user pair
  (`field_mapping:`) is a standard field with its `direction` (two-way, sf_to_fm, fm_to_sf).
  A reference to a record of an object that is off is left out.
-#}
with

objects as (
  select * from {{ ref('int_sync_objects') }}
),

salesforce_fields as (
  select * from {{ ref('stg_salesforce__fields') }}
),

forcemanager_fields as (
  select * from {{ ref('stg_forcemanager__fields') }}
),

object_map as (
  {%- for name, spec in crmsync_objects().items() %}
  select '{{ name }}' as object, '{{ spec.sf_object }}' as salesforce_object,
    '{{ spec.fm_resource }}' as forcemanager_resource
  {{- ' union all' if not loop.last }}
  {%- endfor %}
),

custom_fields as (
  select * from {{ ref('int_custom_fields') }}
),

standard_fields as (
  {%- set rows = [] -%}
  {%- for object, spec in crmsync_objects().items() -%}
    {%- for f in spec.fields -%}
      {%- do rows.append((object, f, loop.index)) -%}
    {%- endfor -%}
  {%- endfor %}
  {%- for object, f, position in rows %}
  select
    '{{ object }}' as object,
    '{{ f.name }}' as field,
    '{{ f.kind }}' as kind,
    {{ "'" ~ f.ref ~ "'" if f.ref else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as ref_object,
    '{{ f.sf }}' as salesforce_field,
    '{{ f.fm }}' as forcemanager_field,
    {{ "'" ~ f.fm2 ~ "'" if f.fm2 else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as forcemanager_hour_field,
    '{{ f.direction or 'two-way' }}' as direction,
    false as is_custom,
    {{ position }} as field_order
  {{- ' union all' if not loop.last }}
  {%- endfor %}
),

all_fields as (
  select * from standard_fields
  union all
  select
    object,
    field,
    kind,
    cast(null as {{ dbt.type_string() }}) as ref_object,
    salesforce_field,
    -- extra-field values are read and written as Z_<fieldName>
    'Z_' || forcemanager_field as forcemanager_field,
    cast(null as {{ dbt.type_string() }}) as forcemanager_hour_field,
    'two-way' as direction,
    true as is_custom,
    100 + row_number() over (partition by object order by field) as field_order
  from custom_fields
)

select
  all_fields.*,
  coalesce(salesforce_fields.is_createable, true) as salesforce_createable,
  coalesce(salesforce_fields.is_updateable, true) as salesforce_updateable,
  forcemanager_fields.max_length as forcemanager_max_length,
  coalesce(forcemanager_fields.is_required, false) as forcemanager_required
from all_fields
inner join objects on objects.object = all_fields.object
inner join object_map on object_map.object = all_fields.object
left join objects as referenced on referenced.object = all_fields.ref_object
left join salesforce_fields
  on salesforce_fields.salesforce_object = object_map.salesforce_object
  and lower(salesforce_fields.field_name) = lower(all_fields.salesforce_field)
left join forcemanager_fields
  on forcemanager_fields.resource = object_map.forcemanager_resource
  and lower(forcemanager_fields.field_name) = lower(all_fields.forcemanager_field)
where objects.is_synced
  and (all_fields.ref_object is null or referenced.is_synced)
