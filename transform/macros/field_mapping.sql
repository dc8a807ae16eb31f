{#-
  The field mapping between Salesforce and ForceManager: the one place that says which field of
  one system is which field of the other. Staging, the long (record, field) values and the
  publish rendering are all generated from it: crmsync_objects() is the built-in mapping below
  plus the user's pairs (`field_mapping:` in the settings, crmsync_field_pairs()).

  The objects, in dependency order (parents first), with their Salesforce sObject (sf_object)
  and ForceManager resource (fm_resource): the same catalogue as the Python plugins'
  (crmsync_common.objects; tests/transform/test_object_catalogue.py holds the two equal).

  Per object:
    salesforce / forcemanager: the raw table of each side (the tap stream, lower case)
    salesforce_filter / forcemanager_filter: which raw rows belong to the object
    fields: the canonical fields, each with
      name   canonical name
      kind   how values are compared and written (see canonical_text and render_write_value):
             text, number, date, datetime, datetime_split, boolean, completed, probability,
             stage, owner, ref, country
      ref    for kind ref: the referenced object
      sf     Salesforce API name written;   sf_col: raw column expression read (alias r)
      fm     ForceManager API name written; fm_col: raw column expression read (alias r)
      fm2    datetime_split only: the ForceManager `HH:MM` hour field beside the date field
      direction  user pairs only: two-way (the default), sf_to_fm or fm_to_sf
-#}
{% macro crmsync_objects() %}
  {%- set objects = crmsync_builtin_objects() -%}
  {%- for pair in crmsync_field_pairs() -%}
    {%- if pair.object in objects -%}
      {%- set _ = objects[pair.object].fields.append({
          'name': pair.field, 'kind': pair.kind, 'direction': pair.direction,
          'sf': pair.salesforce_field, 'sf_col': 'r.' ~ pair.salesforce_column,
          'fm': pair.forcemanager_field, 'fm_col': 'r.' ~ pair.forcemanager_column}) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(objects) }}
{% endmacro %}

{#-
  The user's field pairs as `crmsync prepare` checked and stored them (crmsync/field_pairs.py):
  a list of rows with object, field, kind, salesforce_field, forcemanager_field,
  salesforce_column, forcemanager_column and direction. None at parse time or before the first
  prepare.
-#}
{% macro crmsync_field_pairs() %}
  {%- set stored = existing_relation(source('crmsync_settings', 'field_pairs')) -%}
  {%- if stored is none -%}{{ return([]) }}{%- endif -%}
  {%- set rows = run_query('select object, field, kind, salesforce_field, forcemanager_field, '
      ~ 'salesforce_column, forcemanager_column, direction from ' ~ stored ~ ' order by object, field') -%}
  {%- set pairs = [] -%}
  {%- for row in rows -%}
    {%- set _ = pairs.append({'object': row[0], 'field': row[1], 'kind': row[2],
        'salesforce_field': row[3], 'forcemanager_field': row[4], 'salesforce_column': row[5],
        'forcemanager_column': row[6], 'direction': row[7]}) -%}
  {%- endfor -%}
  {{ return(pairs) }}
{% endmacro %}

{#- The built-in mapping (crmsync.access reads it without dbt). -#}
{% macro crmsync_builtin_objects() %}
  {%- set who_what = [
      {'name': 'account', 'kind': 'ref', 'ref': 'accounts', 'sf': 'WhatId',
       'sf_col': "case when r.whatid like '001%' then r.whatid else r.accountid end",
       'fm': 'accountId', 'fm_col': 'r.accountid__id'},
      {'name': 'contact', 'kind': 'ref', 'ref': 'contacts', 'sf': 'WhoId',
       'sf_col': "case when r.whoid like '003%' then r.whoid end",
       'fm': 'contactId', 'fm_col': 'r.contactid__id'},
      {'name': 'opportunity', 'kind': 'ref', 'ref': 'opportunities', 'sf': 'WhatId',
       'sf_col': "case when r.whatid like '006%' then r.whatid end",
       'fm': 'opportunityId', 'fm_col': 'r.opportunityid__id'},
      {'name': 'owner', 'kind': 'owner', 'sf': 'OwnerId', 'sf_col': 'r.ownerid',
       'fm': 'salesRepId', 'fm_col': 'r.salesrepid__id'},
  ] -%}
  {{ return({
    'accounts': {
      'salesforce': 'account', 'forcemanager': 'accounts', 'sf_object': 'Account',
      'fm_resource': 'accounts',
      'fields': [
        {'name': 'name', 'kind': 'text', 'sf': 'Name', 'sf_col': 'r.name', 'fm': 'name', 'fm_col': 'r.name'},
        {'name': 'phone', 'kind': 'text', 'sf': 'Phone', 'sf_col': 'r.phone', 'fm': 'phone', 'fm_col': 'r.phone'},
        {'name': 'website', 'kind': 'text', 'sf': 'Website', 'sf_col': 'r.website', 'fm': 'website', 'fm_col': 'r.website'},
        {'name': 'street', 'kind': 'text', 'sf': 'BillingStreet', 'sf_col': 'r.billingstreet', 'fm': 'address1', 'fm_col': 'r.address1'},
        {'name': 'city', 'kind': 'text', 'sf': 'BillingCity', 'sf_col': 'r.billingcity', 'fm': 'city', 'fm_col': 'r.city'},
        {'name': 'postal_code', 'kind': 'text', 'sf': 'BillingPostalCode', 'sf_col': 'r.billingpostalcode', 'fm': 'postcode', 'fm_col': 'r.postcode'},
        {'name': 'region', 'kind': 'text', 'sf': 'BillingState', 'sf_col': 'r.billingstate', 'fm': 'region', 'fm_col': 'r.region'},
        {'name': 'description', 'kind': 'text', 'sf': 'Description', 'sf_col': 'r.description', 'fm': 'comment', 'fm_col': 'r.comment'},
        {'name': 'owner', 'kind': 'owner', 'sf': 'OwnerId', 'sf_col': 'r.ownerid', 'fm': 'salesRepId1', 'fm_col': 'r.salesrepid1__id'},
        {'name': 'fax', 'kind': 'text', 'sf': 'Fax', 'sf_col': 'r.fax', 'fm': 'fax', 'fm_col': 'r.fax'},
        {'name': 'latitude', 'kind': 'number', 'sf': 'BillingLatitude', 'sf_col': 'r.billinglatitude', 'fm': 'latitude', 'fm_col': 'r.latitude'},
        {'name': 'longitude', 'kind': 'number', 'sf': 'BillingLongitude', 'sf_col': 'r.billinglongitude', 'fm': 'longitude', 'fm_col': 'r.longitude'},
        {'name': 'country', 'kind': 'country', 'sf': 'BillingCountry', 'sf_col': 'r.billingcountry', 'fm': 'countryId', 'fm_col': 'r.countryid__id'},
      ]},
    'contacts': {
      'salesforce': 'contact', 'forcemanager': 'contacts', 'sf_object': 'Contact',
      'fm_resource': 'contacts',
      'fields': [
        {'name': 'first_name', 'kind': 'text', 'sf': 'FirstName', 'sf_col': 'r.firstname', 'fm': 'firstName', 'fm_col': 'r.firstname'},
        {'name': 'last_name', 'kind': 'text', 'sf': 'LastName', 'sf_col': 'r.lastname', 'fm': 'lastName', 'fm_col': 'r.lastname'},
        {'name': 'email', 'kind': 'text', 'sf': 'Email', 'sf_col': 'r.email', 'fm': 'email', 'fm_col': 'r.email'},
        {'name': 'phone', 'kind': 'text', 'sf': 'Phone', 'sf_col': 'r.phone', 'fm': 'phone1', 'fm_col': 'r.phone1'},
        {'name': 'mobile', 'kind': 'text', 'sf': 'MobilePhone', 'sf_col': 'r.mobilephone', 'fm': 'phone2', 'fm_col': 'r.phone2'},
        {'name': 'description', 'kind': 'text', 'sf': 'Description', 'sf_col': 'r.description', 'fm': 'comment', 'fm_col': 'r.comment'},
        {'name': 'account', 'kind': 'ref', 'ref': 'accounts', 'sf': 'AccountId', 'sf_col': 'r.accountid', 'fm': 'accountId', 'fm_col': 'r.accountid__id'},
        {'name': 'owner', 'kind': 'owner', 'sf': 'OwnerId', 'sf_col': 'r.ownerid', 'fm': 'salesRepId', 'fm_col': 'r.salesrepid__id'},
        {'name': 'fax', 'kind': 'text', 'sf': 'Fax', 'sf_col': 'r.fax', 'fm': 'fax', 'fm_col': 'r.fax'},
        {'name': 'street', 'kind': 'text', 'sf': 'MailingStreet', 'sf_col': 'r.mailingstreet', 'fm': 'address1', 'fm_col': 'r.address1'},
        {'name': 'city', 'kind': 'text', 'sf': 'MailingCity', 'sf_col': 'r.mailingcity', 'fm': 'city', 'fm_col': 'r.city'},
        {'name': 'postal_code', 'kind': 'text', 'sf': 'MailingPostalCode', 'sf_col': 'r.mailingpostalcode', 'fm': 'postcode', 'fm_col': 'r.postcode'},
        {'name': 'region', 'kind': 'text', 'sf': 'MailingState', 'sf_col': 'r.mailingstate', 'fm': 'region', 'fm_col': 'r.region'},
        {'name': 'birthdate', 'kind': 'date', 'sf': 'Birthdate', 'sf_col': 'r.birthdate', 'fm': 'birthday', 'fm_col': 'r.birthday'},
        {'name': 'country', 'kind': 'country', 'sf': 'MailingCountry', 'sf_col': 'r.mailingcountry', 'fm': 'countryId', 'fm_col': 'r.countryid__id'},
      ]},
    'opportunities': {
      'salesforce': 'opportunity', 'forcemanager': 'opportunities', 'sf_object': 'Opportunity',
      'fm_resource': 'opportunities',
      'fields': [
        {'name': 'name', 'kind': 'text', 'sf': 'Name', 'sf_col': 'r.name', 'fm': 'reference', 'fm_col': 'r.reference'},
        {'name': 'stage', 'kind': 'stage', 'sf': 'StageName', 'sf_col': 'r.stagename', 'fm': 'statusId', 'fm_col': 'r.statusid__id'},
        {'name': 'amount', 'kind': 'number', 'sf': 'Amount', 'sf_col': 'r.amount', 'fm': 'total', 'fm_col': 'r.total'},
        {'name': 'probability', 'kind': 'probability', 'sf': 'Probability', 'sf_col': 'r.probability', 'fm': 'salesProbability', 'fm_col': 'cast(r.salesprobability as double) * 10'},
        {'name': 'close_date', 'kind': 'date', 'sf': 'CloseDate', 'sf_col': 'r.closedate', 'fm': 'salesForecastDate', 'fm_col': 'r.salesforecastdate'},
        {'name': 'description', 'kind': 'text', 'sf': 'Description', 'sf_col': 'r.description', 'fm': 'comments', 'fm_col': 'r.comments'},
        {'name': 'account', 'kind': 'ref', 'ref': 'accounts', 'sf': 'AccountId', 'sf_col': 'r.accountid', 'fm': 'accountId1', 'fm_col': 'r.accountid1__id'},
        {'name': 'owner', 'kind': 'owner', 'sf': 'OwnerId', 'sf_col': 'r.ownerid', 'fm': 'salesRepId', 'fm_col': 'r.salesrepid__id'},
      ]},
    'activities': {
      'salesforce': 'task', 'forcemanager': 'activities', 'sf_object': 'Task',
      'fm_resource': 'activities',
      'salesforce_filter': "r.tasksubtype = 'Call'",
      'fields': [
        {'name': 'date', 'kind': 'date', 'sf': 'ActivityDate', 'sf_col': 'r.activitydate', 'fm': 'date', 'fm_col': 'r.date'},
        {'name': 'description', 'kind': 'text', 'sf': 'Description', 'sf_col': 'r.description', 'fm': 'comment', 'fm_col': 'r.comment'},
      ] + who_what},
    'events': {
      'salesforce': 'event', 'forcemanager': 'events', 'sf_object': 'Event',
      'fm_resource': 'calendar',
      'forcemanager_filter': 'not coalesce(cast(r.task as boolean), false)',
      'fields': [
        {'name': 'subject', 'kind': 'text', 'sf': 'Subject', 'sf_col': 'r.subject', 'fm': 'subject', 'fm_col': 'r.subject'},
        {'name': 'start', 'kind': 'datetime_split', 'sf': 'StartDateTime', 'sf_col': 'r.startdatetime', 'fm': 'startDate', 'fm2': 'startHour',
         'fm_col': 'r.startdate', 'fm_col2': 'r.starthour'},
        {'name': 'end', 'kind': 'datetime_split', 'sf': 'EndDateTime', 'sf_col': 'r.enddatetime', 'fm': 'endDate', 'fm2': 'endHour',
         'fm_col': 'r.enddate', 'fm_col2': 'r.endhour'},
        {'name': 'all_day', 'kind': 'boolean', 'sf': 'IsAllDayEvent', 'sf_col': 'r.isalldayevent', 'fm': 'allDay', 'fm_col': 'r.allday'},
        {'name': 'description', 'kind': 'text', 'sf': 'Description', 'sf_col': 'r.description', 'fm': 'comment', 'fm_col': 'r.comment'},
      ] + who_what},
    'tasks': {
      'salesforce': 'task', 'forcemanager': 'tasks', 'sf_object': 'Task',
      'fm_resource': 'calendar',
      'salesforce_filter': "coalesce(r.tasksubtype, '') <> 'Call'",
      'forcemanager_filter': 'coalesce(cast(r.task as boolean), true)',
      'fields': [
        {'name': 'subject', 'kind': 'text', 'sf': 'Subject', 'sf_col': 'r.subject', 'fm': 'subject', 'fm_col': 'r.subject'},
        {'name': 'due_date', 'kind': 'date', 'sf': 'ActivityDate', 'sf_col': 'r.activitydate', 'fm': 'startDate', 'fm_col': 'r.startdate'},
        {'name': 'is_completed', 'kind': 'completed', 'sf': 'Status', 'sf_col': "r.status = 'Completed'", 'fm': 'completed', 'fm_col': 'r.completed'},
        {'name': 'description', 'kind': 'text', 'sf': 'Description', 'sf_col': 'r.description', 'fm': 'comment', 'fm_col': 'r.comment'},
      ] + who_what},
  }) }}
{% endmacro %}

{#- The objects in dependency order (parents first): targets create in this order. -#}
{% macro crmsync_object_names() %}
  {{ return(crmsync_objects().keys() | list) }}
{% endmacro %}
