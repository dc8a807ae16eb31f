{{ stage_forcemanager('events') }}
