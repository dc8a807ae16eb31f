{{ publish_rows('salesforce', 'events') }}
