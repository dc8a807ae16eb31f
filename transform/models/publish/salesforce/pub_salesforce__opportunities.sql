{{ publish_rows('salesforce', 'opportunities') }}
