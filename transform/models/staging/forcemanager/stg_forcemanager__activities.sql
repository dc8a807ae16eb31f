{{ stage_forcemanager('activities') }}
