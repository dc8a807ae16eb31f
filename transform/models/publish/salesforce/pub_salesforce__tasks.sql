{{ publish_rows('salesforce', 'tasks') }}
