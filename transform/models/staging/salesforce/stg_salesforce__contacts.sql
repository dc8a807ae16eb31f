{{ stage_salesforce('contacts') }}
