{#-
  Every record of every object on one system (`salesforce` or `forcemanager`), deleted ones
  included, with the field that links it to the other system, its owner (for unmapped_users)
  and a hash of every staged column but the modification time (macros/fingerprint.sql). The
  models that read it keep the synced objects.

  Incremental: a cycle re-stages only the raw rows loaded since the last plan (the loader
  stamps each row's load time, `_sdc_batched_at`, and replaces a record's row when it loads it
  again), and replaces those records' rows here by raw table and id (a Salesforce task can move
  between activities and tasks). Each row keeps `hash_signature`, a hash of what staging its
  raw table depends on (the raw columns, the mappings, crmsync_records_version()): when that
  changes (a new custom column, a new release), the raw table's records are all staged again,
  so the table holds what a full rebuild would. Raw rows are never deleted by a cycle; after
  editing raw tables by hand, build with --full-refresh.
-#}
{% macro synced_records(system) %}
{%- set tables = _record_tables(system) %}
{%- set signatures = _record_signatures(system, tables) %}

{#- where each raw table's last plan left off: the newest load time staged with its current
    signature (none: stage every row) -#}
{%- set since = {} %}
{%- if execute and is_incremental() and 'hash_signature' in relation_columns(this) %}
  {%- set kept = run_query(
      'select raw_table, hash_signature, max(batched_at) from ' ~ this ~ ' group by 1, 2') %}
  {%- for row in kept.rows %}
    {%- if row[0] in signatures and row[1] == signatures[row[0]] and row[2] is not none %}
      {%- do since.update({row[0]: row[2]}) %}
    {%- endif %}
  {%- endfor %}
{%- endif %}

{%- for table, objects in tables.items() %}
{%- set outer = loop %}
{%- for object, inputs in objects.items() %}
{{ _record_select(system, object, inputs, since.get(table), signatures[table]) }}
{{- ' union all' if not (loop.last and outer.last) }}
{%- endfor %}
{%- endfor %}
{% endmacro %}

{#- Pre-hook of int_*__records: drops the rows staged under another signature (or before the
    table kept signatures); the select stages their raw tables again. -#}
{% macro prune_restaged_records(system) %}
  {%- if not is_incremental() -%}{{ return('') }}{%- endif -%}
  {%- if 'hash_signature' not in relation_columns(this) -%}
  delete from {{ this }}
  {%- else -%}
  {%- set signatures = _record_signatures(system, _record_tables(system)) -%}
  delete from {{ this }}
  where hash_signature is null
    or hash_signature not in ('{{ signatures.values() | join("', '") }}')
  {%- endif -%}
{% endmacro %}

{#- The version of the records SQL (this file, macros/staging.sql, macros/fingerprint.sql): a
    change to how a record is staged or hashed must bump it, so that the next plan stages every
    record again instead of only the new raw rows. -#}
{% macro crmsync_records_version() %}{{ return('1') }}{% endmacro %}

{#- Each raw table of one system: {table: {object: its staging_inputs}}. -#}
{% macro _record_tables(system) %}
  {%- set tables = {} %}
  {%- for object in crmsync_object_names() %}
    {%- do tables.setdefault(crmsync_objects()[object][system], {}).update(
        {object: staging_inputs(system, object)}) %}
  {%- endfor %}
  {{ return(tables) }}
{% endmacro %}

{#- The signature of each raw table: a hash of what its records' staging depends on (the raw
    columns, the objects' mappings and filters) and of the records version. -#}
{% macro _record_signatures(system, tables) %}
  {%- set signatures = {} %}
  {%- for table, objects in tables.items() %}
    {%- set parts = [system, table, crmsync_records_version()] %}
    {%- for object, inputs in objects.items() %}
      {%- do parts.extend([object, tojson(inputs.spec), inputs.present | join(','), inputs.custom | join(',')]) %}
    {%- endfor %}
    {%- do signatures.update({table: local_md5(parts | join('|'))}) %}
  {%- endfor %}
  {{ return(signatures) }}
{% endmacro %}

{#- One object's records, from the raw rows loaded since `since` (none: every row). -#}
{% macro _record_select(system, object, inputs, since, signature) %}
  {%- set spec = inputs.spec %}
  {%- set owner = spec.fields
      | selectattr('kind', 'equalto', 'owner') | map(attribute='name') | first %}
  {%- set hashed = [] %}
  {%- for column in staged_columns(system, object, inputs) if column != 'modified_at' %}
    {%- do hashed.append(adapter.quote(column)) %}
  {%- endfor %}
  select
    '{{ object }}' as object,
    '{{ spec[system] }}' as raw_table,
    salesforce_id,
    forcemanager_id,
    is_deleted,
    modified_at,
    {% if owner -%}
    {{ canonical_text("'owner'", adapter.quote(owner)) }}
    {%- else -%}
    cast(null as {{ dbt.type_string() }})
    {%- endif %} as owner_id,
    {{ crmsync_row_hash(hashed) }} as row_hash,
    batched_at,
    '{{ signature }}' as hash_signature
  from (
    {{ stage_object(system, object, {'since': since}, inputs) }}
  ) as staged
{% endmacro %}
