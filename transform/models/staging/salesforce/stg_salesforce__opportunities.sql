{{ stage_salesforce('opportunities') }}
