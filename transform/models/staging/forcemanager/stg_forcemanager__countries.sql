with

source as (
  {{ select_or_empty(source('raw_forcemanager', 'countries'), [
      ('id', 'bigint'), ('descriptionen', dbt.type_string()), ('descriptiones', dbt.type_string()),
      ('descriptionus', dbt.type_string()), ('descriptionit', dbt.type_string()),
      ('descriptionde', dbt.type_string()), ('descriptionfr', dbt.type_string()),
      ('descriptionbr', dbt.type_string()), ('descriptiondk', dbt.type_string()),
      ('descriptionpt', dbt.type_string()), ('descriptionru', dbt.type_string()),
      ('strname', dbt.type_string()), ('iso2', dbt.type_string()), ('iso3', dbt.type_string()),
      ('deleted', 'boolean'), ('_sdc_batched_at', dbt.type_timestamp())]) }}
),

ranked as (
  select
    *,
    row_number() over (partition by id order by _sdc_batched_at desc) as version_rank
  from source
)

select
  id as country_id,
  -- the name written into Salesforce's BillingCountry/MailingCountry
  coalesce(nullif(trim(descriptionen), ''), nullif(trim(strname), '')) as country_name,
  descriptionen as label_en,
  descriptiones as label_es,
  descriptionus as label_us,
  descriptionit as label_it,
  descriptionde as label_de,
  descriptionfr as label_fr,
  descriptionbr as label_br,
  descriptiondk as label_dk,
  descriptionpt as label_pt,
  descriptionru as label_ru,
  strname as official_name,
  upper(trim(iso2)) as iso2,
  upper(trim(iso3)) as iso3,
  coalesce(deleted, false) as is_deleted
from ranked
where version_rank = 1
