{{ stage_salesforce('accounts') }}
