{#- Users with no counterpart on the other side, and how many live records of the synced
    objects each owns: their records get the default owner, or none (the API's login user). -#}
with

objects as (
  select * from {{ ref('int_sync_objects') }}
),

users as (
  select * from {{ ref('int_users_mapped') }}
),

salesforce_users as (
  select * from {{ ref('stg_salesforce__users') }}
),

forcemanager_users as (
  select * from {{ ref('stg_forcemanager__users') }}
),

{%- for system in ['salesforce', 'forcemanager'] %}
{{ system }}_owned as (
  select records.owner_id as user_id, count(*) as records_owned
  from {{ ref('int_' ~ system ~ '__records') }} as records
  inner join objects on objects.object = records.object
  where objects.is_synced
    and not records.is_deleted
    and records.owner_id is not null
  group by records.owner_id
){{ ',' if loop.first }}
{%- endfor %}

select
  'salesforce' as system,
  salesforce_users.salesforce_user_id as user_id,
  salesforce_users.full_name,
  coalesce(salesforce_owned.records_owned, 0) as records_owned
from salesforce_users
left join users
  on users.direction = 'sf_to_fm'
  and users.from_user_id = salesforce_users.salesforce_user_id
left join salesforce_owned on salesforce_owned.user_id = salesforce_users.salesforce_user_id
where users.from_user_id is null
union all
select
  'forcemanager' as system,
  cast(forcemanager_users.forcemanager_user_id as {{ dbt.type_string() }}) as user_id,
  forcemanager_users.full_name,
  coalesce(forcemanager_owned.records_owned, 0) as records_owned
from forcemanager_users
left join users
  on users.direction = 'fm_to_sf'
  and users.from_user_id = cast(forcemanager_users.forcemanager_user_id as {{ dbt.type_string() }})
left join forcemanager_owned
  on forcemanager_owned.user_id = cast(forcemanager_users.forcemanager_user_id as {{ dbt.type_string() }})
where users.from_user_id is null
