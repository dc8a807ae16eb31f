{{ stage_salesforce('activities') }}
