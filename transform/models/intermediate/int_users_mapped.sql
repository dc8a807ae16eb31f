{#- Owner mapping: one row per direction and source user that has a counterpart. -#}
with

salesforce_users as (
  select * from {{ ref('stg_salesforce__users') }}
),

forcemanager_users as (
  select * from {{ ref('stg_forcemanager__users') }}
),

manual as (
  select * from {{ ref('stg_crmsync__user_mapping') }}
),

options as (
  select * from {{ ref('stg_crmsync__options') }}
),

salesforce_names as (
  select
    salesforce_user_id,
    {{ crmsync_normalised_name('full_name') }} as match_name,
    count(*) over (partition by {{ crmsync_normalised_name('full_name') }}) as users_with_name
  from salesforce_users
),

forcemanager_names as (
  select
    forcemanager_user_id,
    {{ crmsync_normalised_name('full_name') }} as match_name,
    count(*) over (partition by {{ crmsync_normalised_name('full_name') }}) as users_with_name
  from forcemanager_users
),

-- a name matches only where exactly one user on each side holds it
name_matches as (
  select
    salesforce_names.salesforce_user_id,
    forcemanager_names.forcemanager_user_id
  from salesforce_names
  inner join forcemanager_names on forcemanager_names.match_name = salesforce_names.match_name
  cross join options
  where options.auto_match_users
    and salesforce_names.match_name is not null
    and salesforce_names.users_with_name = 1
    and forcemanager_names.users_with_name = 1
    -- a user the manual mapping names is never also matched by name
    and salesforce_names.salesforce_user_id not in (select salesforce_user_id from manual)
    and forcemanager_names.forcemanager_user_id not in (select forcemanager_user_id from manual)
),

candidates as (
  select salesforce_user_id, forcemanager_user_id, 'manual' as match_source, 1 as priority
  from manual
  union all
  select salesforce_user_id, forcemanager_user_id, 'name' as match_source, 2 as priority
  from name_matches
),

-- the manual mapping wins; where it maps several users to one, the lowest id is the way back
salesforce_to_forcemanager as (
  select
    'sf_to_fm' as direction,
    salesforce_user_id as from_user_id,
    cast(forcemanager_user_id as {{ dbt.type_string() }}) as to_user_id,
    match_source,
    row_number() over (
      partition by salesforce_user_id order by priority, forcemanager_user_id
    ) as choice
  from candidates
),

forcemanager_to_salesforce as (
  select
    'fm_to_sf' as direction,
    cast(forcemanager_user_id as {{ dbt.type_string() }}) as from_user_id,
    salesforce_user_id as to_user_id,
    match_source,
    row_number() over (
      partition by forcemanager_user_id order by priority, salesforce_user_id
    ) as choice
  from candidates
)

select direction, from_user_id, to_user_id, match_source
from salesforce_to_forcemanager
where choice = 1
union all
select direction, from_user_id, to_user_id, match_source
from forcemanager_to_salesforce
where choice = 1
