{#-
  How a Salesforce country text finds its ForceManager country: every label, the official name
  and both ISO codes of each live country, compared after dropping case, accents and spacing
  (crmsync_normalised_name). Salesforce holds a name, or an ISO code where the org uses State
  and Country picklists. A key two countries share goes to the lower id.
-#}
with

countries as (
  select * from {{ ref('stg_forcemanager__countries') }}
  where not is_deleted
),

keys as (
  {%- set columns = ['label_en', 'label_es', 'label_us', 'label_it', 'label_de', 'label_fr',
      'label_br', 'label_dk', 'label_pt', 'label_ru', 'official_name', 'iso2', 'iso3'] %}
  {%- for column in columns %}
  select country_id, {{ crmsync_normalised_name(column) }} as country_key from countries
  {{- ' union all' if not loop.last }}
  {%- endfor %}
)

select
  country_key,
  min(country_id) as country_id
from keys
where country_key is not null
group by country_key
