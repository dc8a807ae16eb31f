{#-
  Staging for the six sync objects, generated from crmsync_objects(): one row per record of
  one side (latest version, deleted ones included), typed, with canonical column names, plus
  the custom fields passed through (`<name>__c` on Salesforce, `z_<name>` on ForceManager).
-#}

{%- macro _raw_columns_used(exprs) -%}
  {%- set used = [] -%}
  {%- for expr in exprs -%}
    {%- for name in modules.re.findall('r\.([a-z0-9_]+)', expr or '') -%}
      {%- if name not in used -%}{%- do used.append(name) -%}{%- endif -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ return(used) }}
{%- endmacro -%}

{#- The typed staging expression of one mapped field, from its raw expression. -#}
{%- macro _typed(field, expr, expr2=none) -%}
  {%- if field.kind == 'datetime_split' and expr2 is not none -%}
    {{ crmsync_date_and_hour(expr, expr2) }}
  {%- elif field.kind in ('datetime', 'datetime_split') -%}
    {{ crmsync_to_timestamp(expr) }}
  {%- elif field.kind == 'date' -%}
    cast({{ crmsync_to_timestamp(expr) }} as date)
  {%- elif field.kind in ('number', 'probability') -%}
    cast({{ expr }} as double)
  {%- elif field.kind in ('boolean', 'completed') -%}
    cast({{ expr }} as boolean)
  {%- else -%}
    cast({{ expr }} as {{ dbt.type_string() }})
  {%- endif -%}
{%- endmacro -%}

{#- What one side's staging of `object` reads and returns: the raw relation (none when the
    object was never extracted), its columns, the raw columns used, and the custom ones. -#}
{%- macro staging_inputs(system, object) -%}
  {%- set spec = crmsync_objects()[object] -%}
  {%- set is_sf = system == 'salesforce' -%}
  {%- set existing = existing_relation(source('raw_' ~ system, spec[system])) -%}
  {%- set present = relation_columns(existing) -%}
  {%- set exprs = [spec.get(system ~ '_filter')] -%}
  {%- for f in spec.fields -%}
    {%- do exprs.append(f.sf_col if is_sf else f.fm_col) -%}
    {%- if not is_sf -%}{%- do exprs.append(f.get('fm_col2')) -%}{%- endif -%}
  {%- endfor -%}
  {%- set bookkeeping = ['id', 'isdeleted', 'forcemanager_id__c', 'systemmodstamp'] if is_sf
      else ['id', 'deleted', 'extid', 'datemodified'] -%}
  {%- set used = _raw_columns_used(exprs) -%}
  {%- for name in bookkeeping -%}{%- if name not in used -%}{%- do used.append(name) -%}{%- endif -%}{%- endfor -%}
  {%- set custom = [] -%}
  {%- for name in present -%}
    {%- if is_sf and name.endswith('__c') and name != 'forcemanager_id__c' and name not in used -%}
      {%- do custom.append(name) -%}
    {%- elif not is_sf and name.startswith('z_') and name not in used -%}
      {%- do custom.append(name) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return({'spec': spec, 'existing': existing, 'present': present, 'used': used, 'custom': custom}) }}
{%- endmacro -%}

{#- The columns of one side's staging of `object`, in order, read from the raw table's columns
    rather than from the database: staging is ephemeral, so there is no relation to describe. -#}
{%- macro staged_columns(system, object, inputs=none) -%}
  {%- set inputs = inputs or staging_inputs(system, object) -%}
  {%- set ids = ['salesforce_id', 'forcemanager_id'] if system == 'salesforce'
      else ['forcemanager_id', 'salesforce_id'] -%}
  {%- set columns = ids + ['is_deleted', 'modified_at'] -%}
  {%- for f in inputs.spec.fields -%}{%- do columns.append(f.name) -%}{%- endfor -%}
  {{ return(columns + inputs.custom) }}
{%- endmacro -%}

{#- One side's staging of `object` (`inputs`: its staging_inputs, when the caller has them).
    With `batched` (int_*__records), the select also returns each record's load time
    (`batched_at`) and, given `batched.since`, reads only the raw rows loaded since then (and
    those with no load time). With `ids` (a select of staged record ids), it stages only those
    records: the latest version of a record is the same whether or not the others are read. -#}
{%- macro stage_object(system, object, batched=none, inputs=none, ids=none) -%}
  {%- set inputs = inputs or staging_inputs(system, object) -%}
  {%- set spec = inputs.spec -%}
  {%- set is_sf = system == 'salesforce' -%}
  {%- set existing = inputs.existing -%}
  {%- set present = inputs.present -%}
  {%- set used = inputs.used -%}
  {%- set custom = inputs.custom %}
with

raw as (
  {% if existing is not none -%}
  select * from {{ existing }}
  {%- set conditions = [] %}
  {%- if batched and batched.since is not none and '_sdc_batched_at' in present %}
  {%- do conditions.append("(_sdc_batched_at > '" ~ batched.since ~ "' or _sdc_batched_at is null)") %}
  {%- endif %}
  {%- if ids is not none %}
  {%- do conditions.append('cast(id as ' ~ (dbt.type_string() if is_sf else 'bigint') ~ ') in (' ~ ids ~ ')') %}
  {%- endif %}
  {%- if conditions %}
  where {{ conditions | join(' and ') }}
  {%- endif %}
  {%- else -%}
  select cast(null as {{ dbt.type_string() }}) as id from (select 1 as one) as s where 1 = 0
  {%- endif %}
),

-- The loader upserts by key, but a replayed batch can still leave a stale twin: keep the
-- latest version of each record.
deduplicated as (
  select
    {%- for name in used %}
    {% if name in present %}raw.{{ adapter.quote(name) }}{% else %}cast(null as {{ dbt.type_string() }}){% endif %} as {{ name }},
    {%- endfor %}
    {%- for name in custom %}
    raw.{{ adapter.quote(name) }},
    {%- endfor %}
    {%- if batched %}
    {% if '_sdc_batched_at' in present %}raw._sdc_batched_at{% else %}cast(null as {{ dbt.type_timestamp() }}){% endif %} as _sdc_batched_at,
    {%- endif %}
    row_number() over (
      partition by raw.id
      order by {% if '_sdc_batched_at' in present %}raw._sdc_batched_at desc{% else %}raw.id{% endif %}
    ) as version_rank
  from raw
),

r as (
  select * from deduplicated where version_rank = 1
  {%- if spec.get(system ~ '_filter') %}
  {{ crmsync_filter_fence() }}
  {%- endif %}
)

select
  -- ids
  {% if is_sf -%}
  cast(r.id as {{ dbt.type_string() }}) as salesforce_id,
  {{ crmsync_forcemanager_id_of_key(
    "nullif(trim(cast(r.forcemanager_id__c as " ~ dbt.type_string() ~ ")), '')") }}
    as forcemanager_id,
  coalesce(cast(r.isdeleted as boolean), false) as is_deleted,
  {{ crmsync_to_timestamp('r.systemmodstamp') }} as modified_at,
  {%- else -%}
  cast(r.id as bigint) as forcemanager_id,
  cast(nullif(trim(cast(r.extid as {{ dbt.type_string() }})), '') as {{ dbt.type_string() }}) as salesforce_id,
  coalesce(cast(r.deleted as boolean), false) as is_deleted,
  {{ crmsync_to_timestamp('r.datemodified') }} as modified_at,
  {%- endif %}
  {%- if batched %}
  cast(r._sdc_batched_at as {{ dbt.type_timestamp() }}) as batched_at,
  {%- endif %}

  -- mapped fields (macros/field_mapping.sql)
  {%- for f in spec.fields %}
  {% if f.kind in ('ref', 'owner', 'stage') and not is_sf -%}
  cast({{ f.fm_col }} as bigint)
  {%- elif is_sf -%}
  {{ _typed(f, f.sf_col) }}
  {%- else -%}
  {{ _typed(f, f.fm_col, f.get('fm_col2')) }}
  {%- endif %} as {{ adapter.quote(f.name) }}{{ ',' if (not loop.last or custom) }}
  {%- endfor %}

  {%- if custom %}

  -- custom fields, discovered from the raw table's columns
  {%- for name in custom %}
  r.{{ adapter.quote(name) }}{{ ',' if not loop.last }}
  {%- endfor %}
  {%- endif %}
from r
{%- if spec.get(system ~ '_filter') %}
where {{ spec.get(system ~ '_filter') }}
{%- endif %}
{%- endmacro -%}

{% macro stage_salesforce(object) %}{{ stage_object('salesforce', object) }}{% endmacro %}
{% macro stage_forcemanager(object) %}{{ stage_object('forcemanager', object) }}{% endmacro %}
