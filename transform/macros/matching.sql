{#-
  Match keys for the initial sync's matching (initial_sync: match, int_matches): each value in a
  form two CRMs' spellings of the same thing agree on. Null when nothing is left to compare.
-#}

{#- Text: lower case, accents stripped, punctuation and spacing collapsed to one space. -#}
{% macro crmsync_match_text(value) %}
  {{ return(adapter.dispatch('crmsync_match_text', 'crmsync')(value)) }}
{% endmacro %}

{% macro duckdb__crmsync_match_text(value) %}
  nullif(trim(regexp_replace(lower(strip_accents({{ value }})), '[^a-z0-9]+', ' ', 'g')), '')
{% endmacro %}

{#- A company name: as text, without a trailing legal form (S.L., S.A., GmbH, Ltd, Inc, SAS,
    S.p.A. and the like). -#}
{% macro crmsync_match_company(value) %}
  {{ return(adapter.dispatch('crmsync_match_company', 'crmsync')(value)) }}
{% endmacro %}

{% macro duckdb__crmsync_match_company(value) %}
  nullif(trim(regexp_replace(
    ' ' || coalesce({{ crmsync_match_text(value) }}, ''),
    '( (s l u|s l|sl|slu|s a u|s a|sa|sau|gmbh|ltd|limited|inc|incorporated|sas|s a s|s p a|spa|s r l|srl|llc|plc|corp|co|ag|bv|b v|nv|oy|ab))+$',
    ''
  )), '')
{% endmacro %}

{#- A phone number: its last 9 digits (the national number, whatever country prefix, `00` or
    `+` was typed before it), with at least 6 digits or no key. -#}
{% macro crmsync_match_phone(value) %}
  {{ return(adapter.dispatch('crmsync_match_phone', 'crmsync')(value)) }}
{% endmacro %}

{% macro duckdb__crmsync_match_phone(value) %}
  case
    when length(regexp_replace({{ value }}, '[^0-9]', '', 'g')) >= 6
      then right(regexp_replace({{ value }}, '[^0-9]', '', 'g'), 9)
  end
{% endmacro %}

{#- An e-mail address: trimmed and lower-cased. -#}
{% macro crmsync_match_email(value) %}
  nullif(lower(trim({{ value }})), '')
{% endmacro %}

{#- A website: its domain, lower-cased, without scheme, `www.`, port or path. -#}
{% macro crmsync_match_domain(value) %}
  {{ return(adapter.dispatch('crmsync_match_domain', 'crmsync')(value)) }}
{% endmacro %}

{% macro duckdb__crmsync_match_domain(value) %}
  nullif(regexp_replace(
    regexp_replace(lower(trim({{ value }})), '^[a-z][a-z0-9+.-]*://', ''),
    '^www\.|[:/?#].*$', '', 'g'
  ), '')
{% endmacro %}

{#- True when this plan is an initial sync with `initial_sync: match`. -#}
{% macro crmsync_is_match() %}
  ('{{ var("sync_mode") }}' = 'initial'
    and (select initial_sync from {{ ref('stg_crmsync__options') }}) = 'match')
{% endmacro %}

{#- sync_matches' pre-hook: a plan with `initial_sync: match` replaces the stored rows (any
    other plan appends none: int_matches is empty then). -#}
{% macro crmsync_clear_matches() %}
  {%- if execute and var('sync_mode') == 'initial' and load_relation(this) is not none %}
  delete from {{ this }}
  where (select initial_sync from {{ ref('stg_crmsync__options') }}) = 'match'
  {%- else %}
  select 1
  {%- endif %}
{% endmacro %}

{#- How alike two normalised names are, from 0 (nothing shared) to 1 (equal): on DuckDB one
    minus the Damerau-Levenshtein distance over the longer name's length (a typo, a dropped,
    doubled or swapped letter costs one edit; another word in a shared name costs a whole
    word, which Jaro-Winkler forgives), equality elsewhere (the similarity step then only
    pairs equal names the exact keys could not, e.g. without a city). -#}
{% macro crmsync_name_similarity(left, right) %}
  {{ return(adapter.dispatch('crmsync_name_similarity', 'crmsync')(left, right)) }}
{% endmacro %}

{% macro default__crmsync_name_similarity(left, right) %}
  case when {{ left }} = {{ right }} then 1.0 else 0.0 end
{% endmacro %}

{% macro duckdb__crmsync_name_similarity(left, right) %}
  1.0 - damerau_levenshtein({{ left }}, {{ right }})
    / cast(greatest(length({{ left }}), length({{ right }}), 1) as double)
{% endmacro %}

{#- A secondary field's part of a similarity score: 1 when both sides hold it and agree,
    0 when both hold it and differ, null when a side lacks it (no evidence either way). -#}
{% macro crmsync_match_agreement(left, right) %}
  case
    when {{ left }} is null or {{ right }} is null then null
    when {{ left }} = {{ right }} then 1
    else 0
  end
{% endmacro %}

{#- The rows of `relation` (with object, side and record_id columns) that none of `paired`'s
    pairs holds: the records a matching step still has to decide. Portable SQL (two left joins,
    an anti-join the planner keeps as hash joins), as a parenthesised select to alias. -#}
{% macro crmsync_match_unpaired(relation, paired) %}
  (
    select rows_.*
    from {{ relation }} as rows_
    left join {{ paired }} as by_salesforce
      on rows_.side = 'salesforce'
      and by_salesforce.object = rows_.object
      and by_salesforce.salesforce_id = rows_.record_id
    left join {{ paired }} as by_forcemanager
      on rows_.side = 'forcemanager'
      and by_forcemanager.object = rows_.object
      and by_forcemanager.forcemanager_id = rows_.record_id
    where by_salesforce.object is null
      and by_forcemanager.object is null
  )
{% endmacro %}

{#- A calendar date (ISO text) moved by `days`, as ISO text. -#}
{% macro crmsync_match_shift_date(value, days) %}
  substr(cast({{ dbt.dateadd('day', days, 'cast(' ~ value ~ ' as date)') }} as {{ dbt.type_string() }}), 1, 10)
{% endmacro %}
