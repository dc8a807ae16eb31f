{#-
  The canonical text form values are compared in. It must round-trip: a value crmsync writes
  reads back equal, or a quiet cycle would write again. So numbers lose trailing zeros,
  datetimes are UTC to the second, booleans are 'true'/'false' and the empty string is null.
  A boolean is never null: a Salesforce checkbox cannot be empty (it reads back false where the
  other side held nothing), so an empty boolean compares as 'false'.
  `kind` is a SQL expression (a literal for standard fields, a column for custom fields).
-#}
{% macro canonical_text(kind, value) %}
  case
    when {{ kind }} in ('boolean', 'completed')
      then case
        when lower(cast({{ value }} as {{ dbt.type_string() }})) in ('true', 't', '1', 'yes') then 'true'
        when coalesce(lower(cast({{ value }} as {{ dbt.type_string() }})), '') in ('false', 'f', '0', 'no', '') then 'false'
      end
    when nullif(cast({{ value }} as {{ dbt.type_string() }}), '') is null then null
    when {{ kind }} in ('number', 'probability')
      then {{ crmsync_number_text(value) }}
    when {{ kind }} = 'date'
      then {{ crmsync_utc_text(value, 'date') }}
    when {{ kind }} in ('datetime', 'datetime_split')
      then {{ crmsync_utc_text(value, 'datetime') }}
    else cast({{ value }} as {{ dbt.type_string() }})
  end
{% endmacro %}

{#- A number as text with no trailing zeros ('1500', '12.5', '-0.25'). -#}
{% macro crmsync_number_text(value) %}
  {{ return(adapter.dispatch('crmsync_number_text', 'crmsync')(value)) }}
{% endmacro %}

{% macro default__crmsync_number_text(value) %}
  cast(cast(cast({{ value }} as {{ dbt.type_string() }}) as decimal(38, 6)) as {{ dbt.type_string() }})
{% endmacro %}

{% macro duckdb__crmsync_number_text(value) %}
  coalesce(nullif(rtrim(rtrim(cast(cast(try_cast(cast({{ value }} as varchar) as double) as decimal(38, 6)) as varchar), '0'), '.'), ''), '0')
{% endmacro %}

{#- A date or datetime (typed, or ISO text with or without offset) as UTC text. -#}
{% macro crmsync_utc_text(value, part) %}
  {{ return(adapter.dispatch('crmsync_utc_text', 'crmsync')(value, part)) }}
{% endmacro %}

{% macro duckdb__crmsync_utc_text(value, part) %}
  strftime(
    timezone('UTC', try_cast(cast({{ value }} as varchar) as timestamptz)),
    '{{ "%Y-%m-%d" if part == "date" else "%Y-%m-%dT%H:%M:%SZ" }}'
  )
{% endmacro %}

{#- A typed timestamp with time zone from a typed value or ISO text. -#}
{% macro crmsync_to_timestamp(value) %}
  {{ return(adapter.dispatch('crmsync_to_timestamp', 'crmsync')(value)) }}
{% endmacro %}

{% macro duckdb__crmsync_to_timestamp(value) %}
  try_cast(cast({{ value }} as varchar) as timestamptz)
{% endmacro %}

{#- ForceManager calendar entries keep the date and the `HH:MM` hour in two fields. -#}
{% macro crmsync_date_and_hour(date_value, hour_value) %}
  {{ return(adapter.dispatch('crmsync_date_and_hour', 'crmsync')(date_value, hour_value)) }}
{% endmacro %}

{% macro duckdb__crmsync_date_and_hour(date_value, hour_value) %}
  try_cast(
    strftime(try_cast(cast({{ date_value }} as varchar) as timestamptz), '%Y-%m-%d')
    || ' '
    || coalesce(
      nullif(cast({{ hour_value }} as varchar), ''),
      strftime(try_cast(cast({{ date_value }} as varchar) as timestamptz), '%H:%M')
    )
    || '+00'
    as timestamptz
  )
{% endmacro %}

{#- A user's full name for matching: lower case, accents stripped, spacing collapsed. -#}
{% macro crmsync_normalised_name(value) %}
  {{ return(adapter.dispatch('crmsync_normalised_name', 'crmsync')(value)) }}
{% endmacro %}

{% macro duckdb__crmsync_normalised_name(value) %}
  nullif(trim(regexp_replace(lower(strip_accents({{ value }})), '\s+', ' ', 'g')), '')
{% endmacro %}

{#- A text value as a JSON string literal (quoted and escaped); null stays SQL null. -#}
{% macro crmsync_json_string(value) %}
  {{ return(adapter.dispatch('crmsync_json_string', 'crmsync')(value)) }}
{% endmacro %}

{% macro duckdb__crmsync_json_string(value) %}
  cast(to_json(cast({{ value }} as varchar)) as varchar)
{% endmacro %}

{#- Fails the query with `message` (used where a bad setting must stop the plan). -#}
{% macro crmsync_raise(message) %}
  {{ return(adapter.dispatch('crmsync_raise', 'crmsync')(message)) }}
{% endmacro %}

{% macro duckdb__crmsync_raise(message) %}
  error({{ message }})
{% endmacro %}

{#- The text a value of the other side must not be mistaken for: an unknown base value. -#}
{% macro unknown_value() %}'?unknown'{% endmacro %}
