{#-
  The initial sync's matching (initial_sync: match): which live records of the two CRMs are the
  same record. Each step pairs only records no earlier step paired:
    0. links the records already carry (ForceManager extId, Salesforce ForceManager_Id__c)
       that name a record of the other side, then the `force` pairs of the match_overrides
       file;
    1. exact keys after normalisation (macros/matching.sql), per object in this order:
       accounts by name + city, then website domain, then phone; contacts by e-mail, then
       full name within the paired account; opportunities by name within the paired account;
       activities by date within the paired account; events and tasks by subject, date and
       paired account;
    2. after each object's exact keys, a similarity score (the `similarity` steps below):
       accounts by name plus city, phone and website; contacts by full name within the paired
       account plus e-mail local part and domain and phone; opportunities by name within the
       paired account plus amount, close date and stage; activities (description), events and
       tasks (subject) within the paired account and a day of each other's date.
  A key that more than one record holds on either side is ambiguous: its records are listed,
  neither linked nor created, unless a later rule pairs them. `forbid` pairs are never linked.
  The rest are unmatched (created on the other side). Outside `match` this model is empty.
  One row per linked pair (record_side both) and per ambiguous or unmatched record (its side).
-#}
{%- if var('sync_mode') != 'initial' %}
{#- only an initial sync matches: any other plan gets the empty relation without planning the
    steps below (their query costs a cycle's plan a third of a second even when empty); what
    those steps read stays declared upstream for dbt (macros/lineage.sql) -#}
{%- do declare_upstreams(
    ['int_sync_objects', 'int_salesforce__records', 'int_forcemanager__records',
     'stg_crmsync__match_overrides', 'stg_crmsync__options',
     'stg_forcemanager__opportunitystatuses']
    + object_staging_models('salesforce') + object_staging_models('forcemanager')) %}
{{ empty_relation([
    ('object', dbt.type_string()), ('record_side', dbt.type_string()),
    ('salesforce_id', dbt.type_string()), ('forcemanager_id', dbt.type_bigint()),
    ('score', 'double'), ('decision', dbt.type_string()), ('reason', dbt.type_string()),
    ('needs_forcemanager_link', dbt.type_boolean()),
    ('needs_salesforce_link', dbt.type_boolean()),
]) }}
{%- else %}
{%- set steps = [
    ('accounts', 'name+city', 0.9),
    ('accounts', 'website', 0.85),
    ('accounts', 'phone', 0.8),
    ('accounts', 'similarity', none),
    ('contacts', 'email', 0.95),
    ('contacts', 'name+account', 0.9),
    ('contacts', 'similarity', none),
    ('opportunities', 'name+account', 0.9),
    ('opportunities', 'similarity', none),
    ('activities', 'date+account', 0.8),
    ('activities', 'similarity', none),
    ('events', 'subject+date+account', 0.85),
    ('events', 'similarity', none),
    ('tasks', 'subject+date+account', 0.85),
    ('tasks', 'similarity', none),
] %}
{#- each object's similarity step: the normalised text compared (and what the reason calls it),
    the secondary fields whose agreement counts (reason label, feature column), the share a pair
    gets when both sides hold none of them (neutral), a field whose disagreement rules a pair out
    (veto: two e-mail addresses in one company are two people), and whether candidates must lie
    within a day of each other's date (dated). Contacts are compared within one paired account,
    where a near-identical full name with nothing against it is the same person: their neutral
    share is 0.6 (a name one letter off in nine links), the other objects' 0.5 -#}
{%- set similarity = {
    'accounts': {'text': 'company', 'label': 'name', 'dated': false,
                 'fields': [('city', 'city'), ('phone', 'phone'), ('website', 'domain')]},
    'contacts': {'text': 'full_name', 'label': 'name', 'dated': false, 'neutral': 0.6,
                 'veto': 'email_local',
                 'fields': [('e-mail', 'email_local'), ('e-mail domain', 'email_domain'),
                            ('phone', 'phone')]},
    'opportunities': {'text': 'name', 'label': 'name', 'dated': false,
                      'fields': [('amount', 'amount'), ('close date', 'activity_date'),
                                 ('stage', 'stage')]},
    'activities': {'text': 'name', 'label': 'description', 'dated': true, 'fields': []},
    'events': {'text': 'name', 'label': 'subject', 'dated': true, 'fields': []},
    'tasks': {'text': 'name', 'label': 'subject', 'dated': true, 'fields': []},
} %}
{%- set string = dbt.type_string() %}
{#- the similarity step (3.): a pair links when its score reaches the threshold and is ahead of
    both records' next candidates by the margin; blocks larger than block_limit on a side (a
    name token most records share) give no candidates -#}
{%- set similarity_threshold = 0.8 %}
{%- set similarity_margin = 0.05 %}
{#- agreeing secondary fields never make up for names this far apart (Delta vs Dorada) -#}
{%- set similarity_name_floor = 0.8 %}
{%- set block_limit = 500 %}

with

objects as (
  select object
  from {{ ref('int_sync_objects') }}
  where is_synced
    and {{ crmsync_is_match() }}
),

salesforce_records as (
  select records.object, records.salesforce_id, records.forcemanager_id, records.is_deleted
  from {{ ref('int_salesforce__records') }} as records
  inner join objects on objects.object = records.object
),

forcemanager_records as (
  select records.object, records.forcemanager_id, records.salesforce_id, records.is_deleted
  from {{ ref('int_forcemanager__records') }} as records
  inner join objects on objects.object = records.object
),

overrides as (
  select * from {{ ref('stg_crmsync__match_overrides') }}
),

-- every live record of a matched object, as (side, id)
live_records as (
  select object, 'salesforce' as side, salesforce_id as record_id
  from salesforce_records
  where not is_deleted
  union all
  select object, 'forcemanager', cast(forcemanager_id as {{ string }})
  from forcemanager_records
  where not is_deleted
),

{%- for side in ['salesforce', 'forcemanager'] %}
{%- set id = side ~ '_id' %}

-- the fields the rules compare, of each live record (from staging: the values models read
-- the record pairs, which read the links this model makes)
{{ side }}_fields as (
  select 'accounts' as object, cast({{ id }} as {{ string }}) as record_id, name, city,
    website, phone, cast(null as {{ string }}) as email,
    cast(null as {{ string }}) as first_name, cast(null as {{ string }}) as last_name,
    cast(null as {{ string }}) as account_ref, cast(null as {{ string }}) as activity_date,
    cast(null as {{ string }}) as amount, cast(null as {{ string }}) as stage
  from {{ ref('stg_' ~ side ~ '__accounts') }}
  where not is_deleted
  union all
  select 'contacts', cast({{ id }} as {{ string }}), null, null, null,
    coalesce(phone, mobile), email, first_name, last_name, cast(account as {{ string }}), null,
    null, null
  from {{ ref('stg_' ~ side ~ '__contacts') }}
  where not is_deleted
  union all
  select 'opportunities', cast({{ id }} as {{ string }}), opportunities.name, null, null, null,
    null, null, null, cast(opportunities.account as {{ string }}),
    substr(cast(opportunities.close_date as {{ string }}), 1, 10),
    {{ crmsync_number_text('opportunities.amount') }},
    {%- if side == 'forcemanager' %}
    -- a ForceManager status compares as its English label, the Salesforce stage name
    statuses.label_en
  from {{ ref('stg_forcemanager__opportunities') }} as opportunities
  left join {{ ref('stg_forcemanager__opportunitystatuses') }} as statuses
    on cast(statuses.opportunity_status_id as {{ string }})
      = cast(opportunities.stage as {{ string }})
    {%- else %}
    opportunities.stage
  from {{ ref('stg_salesforce__opportunities') }} as opportunities
    {%- endif %}
  where not opportunities.is_deleted
  {#- activities compare their description (they have no subject) -#}
  {%- for object, subject, day in [('activities', 'description', 'date'),
                                   ('events', 'subject', 'start'),
                                   ('tasks', 'subject', 'due_date')] %}
  union all
  select '{{ object }}', cast({{ id }} as {{ string }}), {{ subject }}, null, null, null,
    null, null, null, cast(account as {{ string }}),
    substr(cast({{ adapter.quote(day) }} as {{ string }}), 1, 10), null, null
  from {{ ref('stg_' ~ side ~ '__' ~ object) }}
  where not is_deleted
  {%- endfor %}
),

{{ side }}_features as (
  select
    fields_.object,
    '{{ side }}' as side,
    fields_.record_id,
    {{ crmsync_match_company('fields_.name') }} as company,
    {{ crmsync_match_text('fields_.name') }} as name,
    {{ crmsync_match_text('fields_.city') }} as city,
    {{ crmsync_match_domain('fields_.website') }} as domain,
    {{ crmsync_match_phone('fields_.phone') }} as phone,
    {{ crmsync_match_email('fields_.email') }} as email,
    {{ crmsync_match_text(dbt.concat([
        "coalesce(fields_.first_name, '')", "' '", "coalesce(fields_.last_name, '')"])) }}
      as full_name,
    {{ dbt.split_part(crmsync_match_email('fields_.email'), "'@'", 1) }} as email_local,
    {{ dbt.split_part(crmsync_match_email('fields_.email'), "'@'", 2) }} as email_domain,
    fields_.account_ref,
    fields_.activity_date,
    fields_.amount,
    {{ crmsync_match_text('fields_.stage') }} as stage
  from {{ side }}_fields as fields_
  inner join live_records
    on live_records.object = fields_.object
    and live_records.side = '{{ side }}'
    and live_records.record_id = fields_.record_id
),
{%- endfor %}

features as (
  select * from salesforce_features
  union all
  select * from forcemanager_features
),

account_keys as (
  {%- for rule, key in [('name+city', "company || '|' || city"), ('website', 'domain'),
                        ('phone', 'phone')] %}
  select object, side, record_id, '{{ rule }}' as rule, {{ key }} as match_key
  from features
  where object = 'accounts'
  {{- ' union all' if not loop.last }}
  {%- endfor %}
),

-- step 0: the links the records carry (as int_links reads them) ...
-- that name a record the other side holds (an extId another system wrote is no link)
marks as (
  select
    forcemanager_records.object,
    forcemanager_records.salesforce_id,
    cast(forcemanager_records.forcemanager_id as {{ string }}) as forcemanager_id
  from forcemanager_records
  inner join salesforce_records
    on salesforce_records.object = forcemanager_records.object
    and salesforce_records.salesforce_id = forcemanager_records.salesforce_id
  union
  select
    salesforce_records.object,
    salesforce_records.salesforce_id,
    cast(salesforce_records.forcemanager_id as {{ string }})
  from salesforce_records
  inner join forcemanager_records
    on forcemanager_records.object = salesforce_records.object
    and cast(forcemanager_records.forcemanager_id as {{ string }})
      = cast(salesforce_records.forcemanager_id as {{ string }})
),

-- ... then the forced pairs of two live records neither of which carries a link
forced as (
  select distinct
    overrides.object,
    salesforce_live.record_id as salesforce_id,
    forcemanager_live.record_id as forcemanager_id
  from overrides
  inner join live_records as salesforce_live
    on salesforce_live.object = overrides.object
    and salesforce_live.side = 'salesforce'
    and substr(salesforce_live.record_id, 1, 15) = substr(overrides.salesforce_id, 1, 15)
  inner join live_records as forcemanager_live
    on forcemanager_live.object = overrides.object
    and forcemanager_live.side = 'forcemanager'
    and forcemanager_live.record_id = cast(overrides.forcemanager_id as {{ string }})
  where overrides.action = 'force'
    and not exists (
      select 1 from marks
      where marks.object = overrides.object
        and (marks.salesforce_id = salesforce_live.record_id
          or marks.forcemanager_id = forcemanager_live.record_id)
    )
),

forbidden as (
  select object, substr(salesforce_id, 1, 15) as salesforce_prefix,
    cast(forcemanager_id as {{ string }}) as forcemanager_id
  from overrides
  where action = 'forbid'
),

paired_0 as (
  select object, salesforce_id, forcemanager_id, 1.0 as score,
    'link: ForceManager extId / Salesforce ForceManager_Id__c' as reason
  from marks
  union all
  select object, salesforce_id, forcemanager_id, 1.0, 'override: force'
  from forced
),

{%- for object, rule, score in steps %}
{%- set k = loop.index %}
{%- if object != 'accounts' and steps[loop.index0 - 1][0] == 'accounts' %}

-- contacts and opportunities match within the paired account (as its Salesforce Id)
account_pairs as (
  select salesforce_id, forcemanager_id
  from paired_{{ k - 1 }}
  where object = 'accounts'
),

dependent_features as (
  select
    features.*,
    case
      when features.side = 'salesforce' then salesforce_accounts.salesforce_id
      else forcemanager_accounts.salesforce_id
    end as account_key
  from features
  left join account_pairs as salesforce_accounts
    on features.side = 'salesforce'
    and salesforce_accounts.salesforce_id = features.account_ref
  left join account_pairs as forcemanager_accounts
    on features.side = 'forcemanager'
    and forcemanager_accounts.forcemanager_id = features.account_ref
  where features.object <> 'accounts'
),

dependent_keys as (
  select object, side, record_id, 'email' as rule, email as match_key
  from dependent_features
  where object = 'contacts'
  union all
  select object, side, record_id, 'name+account',
    full_name || '|' || account_key
  from dependent_features
  where object = 'contacts'
  union all
  select object, side, record_id, 'name+account', name || '|' || account_key
  from dependent_features
  where object = 'opportunities'
  union all
  select object, side, record_id, 'date+account', activity_date || '|' || account_key
  from dependent_features
  where object = 'activities'
  union all
  select object, side, record_id, 'subject+date+account',
    name || '|' || activity_date || '|' || account_key
  from dependent_features
  where object in ('events', 'tasks')
),
{%- endif %}

{%- if rule == 'similarity' %}
{%- set spec = similarity[object] %}
{%- set text = spec.text %}

-- step {{ k }}: {{ object }} still unpaired, by a similarity score: the normalised
-- {{ spec.label }}s' similarity (macros/matching.sql) weighed 3 to 1 with the share of the
-- secondary fields both sides hold that agree
-- ({{ spec.fields | map('first') | join(', ') or 'none' }}; none held by both counts
-- {{ spec.get('neutral', 0.5) }}).
{%- if spec.get('veto') %}
-- A differing {{ spec.veto }} rules a pair out.
{%- endif %}
{%- if object == 'accounts' %}
-- Candidates share a block: a name token (the first or second), the phone or the domain.
{%- elif spec.dated %}
-- Candidates are in the paired account, a day apart at most.
{%- else %}
-- Candidates are in the paired account.
{%- endif %}
unpaired_{{ k }} as (
  select unpaired_.*
  from {{ crmsync_match_unpaired(
    'features' if object == 'accounts' else 'dependent_features', 'paired_' ~ (k - 1)) }}
    as unpaired_
  where unpaired_.object = '{{ object }}'
    and unpaired_.{{ text }} is not null
    {%- if object != 'accounts' %}
    and unpaired_.account_key is not null
    {%- endif %}
    {%- if spec.dated %}
    and unpaired_.activity_date is not null
    {%- endif %}
),

blocks_{{ k }} as (
  select side, record_id, block_key,
    count(*) over (partition by side, block_key) as block_size
  from (
    {%- if object == 'accounts' %}
    select side, record_id,
      'n:' || {{ dbt.split_part('company', "' '", 1) }} as block_key
    from unpaired_{{ k }}
    union
    select side, record_id, 'n:' || {{ dbt.split_part('company', "' '", 2) }}
    from unpaired_{{ k }}
    where {{ dbt.length(dbt.split_part('company', "' '", 2)) }} > 2
    union
    select side, record_id, 'p:' || phone from unpaired_{{ k }} where phone is not null
    union
    select side, record_id, 'd:' || domain from unpaired_{{ k }} where domain is not null
    {%- elif spec.dated %}
    {#- a Salesforce record's block is its account and date; a ForceManager record is in the
        blocks of its date and the days either side -#}
    select side, record_id, account_key || '|' || activity_date as block_key
    from unpaired_{{ k }}
    where side = 'salesforce'
    {%- for days in [-1, 0, 1] %}
    union
    select side, record_id,
      account_key || '|' || {{ crmsync_match_shift_date('activity_date', days) }}
    from unpaired_{{ k }}
    where side = 'forcemanager'
    {%- endfor %}
    {%- else %}
    select side, record_id, account_key as block_key
    from unpaired_{{ k }}
    {%- endif %}
  ) as keys_
),

candidate_pairs_{{ k }} as (
  select distinct
    salesforce_blocks.record_id as salesforce_id,
    forcemanager_blocks.record_id as forcemanager_id
  from blocks_{{ k }} as salesforce_blocks
  inner join blocks_{{ k }} as forcemanager_blocks
    on forcemanager_blocks.block_key = salesforce_blocks.block_key
    and forcemanager_blocks.side = 'forcemanager'
    and forcemanager_blocks.block_size <= {{ block_limit }}
  where salesforce_blocks.side = 'salesforce'
    and salesforce_blocks.block_size <= {{ block_limit }}
),

compared_{{ k }} as (
  select
    '{{ object }}' as object,
    pairs.salesforce_id,
    pairs.forcemanager_id,
    {{ crmsync_name_similarity('salesforce_.' ~ text, 'forcemanager_.' ~ text) }} as name_score,
    {%- for label, column in spec.fields %}
    {{ crmsync_match_agreement('salesforce_.' ~ column, 'forcemanager_.' ~ column) }}
      as agrees_{{ loop.index }},
    {%- endfor %}
    {%- if spec.dated %}
    salesforce_.activity_date <> forcemanager_.activity_date as is_day_apart
    {%- else %}
    false as is_day_apart
    {%- endif %}
  from candidate_pairs_{{ k }} as pairs
  inner join unpaired_{{ k }} as salesforce_
    on salesforce_.side = 'salesforce'
    and salesforce_.record_id = pairs.salesforce_id
  inner join unpaired_{{ k }} as forcemanager_
    on forcemanager_.side = 'forcemanager'
    and forcemanager_.record_id = pairs.forcemanager_id
  left join forbidden
    on forbidden.object = '{{ object }}'
    and forbidden.salesforce_prefix = substr(pairs.salesforce_id, 1, 15)
    and forbidden.forcemanager_id = pairs.forcemanager_id
  where forbidden.object is null
    {%- if spec.get('veto') %}
    and {{ crmsync_match_agreement(
      'salesforce_.' ~ spec.veto, 'forcemanager_.' ~ spec.veto) }} is distinct from 0
    {%- endif %}
),

scored_{{ k }} as (
  select
    compared_{{ k }}.*,
    {%- if spec.fields %}
    0.75 * name_score + 0.25 * coalesce(
      (
        {%- for label, column in spec.fields %}
        coalesce(agrees_{{ loop.index }}, 0){{ ' +' if not loop.last }}
        {%- endfor %}
      )
        / nullif(
          cast(
            {%- for label, column in spec.fields %}
            case when agrees_{{ loop.index }} is null then 0 else 1 end
              {{- ' +' if not loop.last }}
            {%- endfor %}
          as double), 0),
      {{ spec.get('neutral', 0.5) }}
    ) as score,
    {%- else %}
    0.75 * name_score + 0.25 * {{ spec.get('neutral', 0.5) }} as score,
    {%- endif %}
    '{{ spec.label }} ' || cast(round(name_score, 2) as {{ string }})
      {%- for label, column in spec.fields %}
      || case when agrees_{{ loop.index }} = 1 then ', {{ label }}' else '' end
      {%- endfor %}
      {%- for label, column in spec.fields %}
      || case when agrees_{{ loop.index }} = 0 then '; {{ label }} differs' else '' end
      {%- endfor %}
      || case when is_day_apart then '; a day apart' else '' end
      as evidence
  from compared_{{ k }}
),

ranked_{{ k }} as (
  select
    scored_{{ k }}.*,
    row_number() over (
      partition by salesforce_id order by score desc, forcemanager_id
    ) as salesforce_rank,
    row_number() over (
      partition by forcemanager_id order by score desc, salesforce_id
    ) as forcemanager_rank,
    lead(score) over (
      partition by salesforce_id order by score desc, forcemanager_id
    ) as salesforce_next,
    lead(score) over (
      partition by forcemanager_id order by score desc, salesforce_id
    ) as forcemanager_next
  from scored_{{ k }}
  where score >= {{ similarity_threshold }}
    and name_score >= {{ similarity_name_floor }}
),

-- each side's best candidate above the threshold, with its runner-up's score
best_{{ k }} as (
  select
    'salesforce' as side, salesforce_id as record_id, forcemanager_id as candidate_id,
    score, coalesce(salesforce_next, 0) as next_score, evidence
  from ranked_{{ k }}
  where salesforce_rank = 1
  union all
  select
    'forcemanager', forcemanager_id, salesforce_id,
    score, coalesce(forcemanager_next, 0), evidence
  from ranked_{{ k }}
  where forcemanager_rank = 1
),

-- one to one: each is the other's best candidate, clearly ahead of both runners-up
linked_{{ k }} as (
  select
    '{{ object }}' as object,
    salesforce_best.record_id as salesforce_id,
    forcemanager_best.record_id as forcemanager_id,
    salesforce_best.score,
    salesforce_best.evidence
  from best_{{ k }} as salesforce_best
  inner join best_{{ k }} as forcemanager_best
    on forcemanager_best.side = 'forcemanager'
    and forcemanager_best.record_id = salesforce_best.candidate_id
    and forcemanager_best.candidate_id = salesforce_best.record_id
  where salesforce_best.side = 'salesforce'
    and salesforce_best.score - salesforce_best.next_score >= {{ similarity_margin }}
    and forcemanager_best.score - forcemanager_best.next_score >= {{ similarity_margin }}
),

ambiguous_{{ k }} as (
  select
    '{{ object }}' as object,
    best_{{ k }}.side,
    best_{{ k }}.record_id,
    best_{{ k }}.candidate_id,
    {{ k }} as step,
    'similarity ' || cast(round(best_{{ k }}.score, 2) as {{ string }})
      || ' (' || best_{{ k }}.evidence || ') but a rival candidate scores '
      || cast(round(greatest(
        best_{{ k }}.next_score,
        case
          when candidate_best.candidate_id = best_{{ k }}.record_id
            then candidate_best.next_score
          else candidate_best.score
        end
      ), 2) as {{ string }}) as reason,
    best_{{ k }}.score
  from best_{{ k }}
  inner join best_{{ k }} as candidate_best
    on candidate_best.side <> best_{{ k }}.side
    and candidate_best.record_id = best_{{ k }}.candidate_id
  left join linked_{{ k }} as by_salesforce
    on best_{{ k }}.side = 'salesforce'
    and by_salesforce.salesforce_id = best_{{ k }}.record_id
  left join linked_{{ k }} as by_forcemanager
    on best_{{ k }}.side = 'forcemanager'
    and by_forcemanager.forcemanager_id = best_{{ k }}.record_id
  where by_salesforce.object is null
    and by_forcemanager.object is null
),

paired_{{ k }} as (
  select * from paired_{{ k - 1 }}
  union all
  select object, salesforce_id, forcemanager_id, score, 'similarity: ' || evidence
  from linked_{{ k }}
),
{%- else %}

-- step {{ k }}: {{ object }} by {{ rule }}, among the records still unpaired
candidates_{{ k }} as (
  select keys.*
  from {{ crmsync_match_unpaired(
    'account_keys' if object == 'accounts' else 'dependent_keys', 'paired_' ~ (k - 1)) }}
    as keys
  where keys.object = '{{ object }}'
    and keys.rule = '{{ rule }}'
    and keys.match_key is not null
),

groups_{{ k }} as (
  select
    object,
    match_key,
    count(distinct case when side = 'salesforce' then record_id end) as salesforce_count,
    count(distinct case when side = 'forcemanager' then record_id end) as forcemanager_count,
    min(case when side = 'salesforce' then record_id end) as salesforce_id,
    min(case when side = 'forcemanager' then record_id end) as forcemanager_id
  from candidates_{{ k }}
  group by object, match_key
),

linked_{{ k }} as (
  select groups_{{ k }}.object, groups_{{ k }}.salesforce_id, groups_{{ k }}.forcemanager_id
  from groups_{{ k }}
  left join forbidden
    on forbidden.object = groups_{{ k }}.object
    and forbidden.salesforce_prefix = substr(groups_{{ k }}.salesforce_id, 1, 15)
    and forbidden.forcemanager_id = groups_{{ k }}.forcemanager_id
  where groups_{{ k }}.salesforce_count = 1
    and groups_{{ k }}.forcemanager_count = 1
    and forbidden.object is null
),

ambiguous_{{ k }} as (
  select
    candidates_{{ k }}.object,
    candidates_{{ k }}.side,
    candidates_{{ k }}.record_id,
    case when candidates_{{ k }}.side = 'salesforce' then groups_{{ k }}.forcemanager_id
      else groups_{{ k }}.salesforce_id end as candidate_id,
    {{ k }} as step,
    '{{ rule }}: ' || cast(groups_{{ k }}.salesforce_count as {{ string }})
      || ' Salesforce and ' || cast(groups_{{ k }}.forcemanager_count as {{ string }})
      || ' ForceManager records share the key' as reason,
    0.5 as score
  from candidates_{{ k }}
  inner join groups_{{ k }}
    on groups_{{ k }}.object = candidates_{{ k }}.object
    and groups_{{ k }}.match_key = candidates_{{ k }}.match_key
  where groups_{{ k }}.salesforce_count > 0
    and groups_{{ k }}.forcemanager_count > 0
    and (groups_{{ k }}.salesforce_count > 1 or groups_{{ k }}.forcemanager_count > 1)
),

paired_{{ k }} as (
  select * from paired_{{ k - 1 }}
  union all
  select object, salesforce_id, forcemanager_id, {{ score }}, '{{ rule }}'
  from linked_{{ k }}
),
{%- endif %}
{%- endfor %}
{%- set last = steps | length %}

paired as (
  select * from paired_{{ last }}
),

ambiguous_all as (
  {%- for object, rule, score in steps %}
  select * from ambiguous_{{ loop.index }}
  {{- ' union all' if not loop.last }}
  {%- endfor %}
),

-- a record ambiguous under a rule and paired by none is held back, with its first ambiguity
ambiguous as (
  select ambiguous_all.*,
    row_number() over (
      partition by ambiguous_all.object, ambiguous_all.side, ambiguous_all.record_id
      order by ambiguous_all.step, ambiguous_all.candidate_id
    ) as ambiguity_rank
  from {{ crmsync_match_unpaired('ambiguous_all', 'paired') }} as ambiguous_all
),

unmatched as (
  select live_records.*
  from {{ crmsync_match_unpaired('live_records', 'paired') }} as live_records
  left join ambiguous
    on ambiguous.object = live_records.object
    and ambiguous.side = live_records.side
    and ambiguous.record_id = live_records.record_id
  where ambiguous.object is null
),

decisions as (
  select
    object,
    'both' as record_side,
    salesforce_id,
    cast(forcemanager_id as bigint) as forcemanager_id,
    score,
    'linked' as decision,
    reason
  from paired
  union all
  select
    object,
    side,
    case when side = 'salesforce' then record_id else candidate_id end,
    cast(case when side = 'forcemanager' then record_id else candidate_id end as bigint),
    score,
    'ambiguous',
    reason
  from ambiguous
  where ambiguity_rank = 1
  union all
  select
    object,
    side,
    case when side = 'salesforce' then record_id end,
    cast(case when side = 'forcemanager' then record_id end as bigint),
    0.0,
    'unmatched',
    'no record on the other side agrees on a match key'
  from unmatched
)

select
  decisions.object,
  decisions.record_side,
  decisions.salesforce_id,
  decisions.forcemanager_id,
  cast(decisions.score as double) as score,
  decisions.decision,
  decisions.reason,
  -- a linked pair's records that do not carry the link yet get it written (int_write_fields)
  decisions.decision = 'linked'
    and cast(forcemanager_records.salesforce_id as {{ string }})
      is distinct from decisions.salesforce_id
    as needs_forcemanager_link,
  decisions.decision = 'linked'
    and cast(salesforce_records.forcemanager_id as {{ string }})
      is distinct from cast(decisions.forcemanager_id as {{ string }})
    as needs_salesforce_link
from decisions
left join salesforce_records
  on decisions.decision = 'linked'
  and salesforce_records.object = decisions.object
  and salesforce_records.salesforce_id = decisions.salesforce_id
left join forcemanager_records
  on decisions.decision = 'linked'
  and forcemanager_records.object = decisions.object
  and forcemanager_records.forcemanager_id = decisions.forcemanager_id
{%- endif %}
