{{ publish_rows('salesforce', 'activities') }}
