{{ publish_rows('salesforce', 'accounts') }}
