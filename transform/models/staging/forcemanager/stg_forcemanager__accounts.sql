{{ stage_forcemanager('accounts') }}
