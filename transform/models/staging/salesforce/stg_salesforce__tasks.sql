{{ stage_salesforce('tasks') }}
