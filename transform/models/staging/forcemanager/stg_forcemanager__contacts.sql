{{ stage_forcemanager('contacts') }}
