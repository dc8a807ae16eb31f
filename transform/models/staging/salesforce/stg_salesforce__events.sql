{{ stage_salesforce('events') }}
