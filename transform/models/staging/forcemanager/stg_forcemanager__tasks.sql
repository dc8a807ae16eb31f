{{ stage_forcemanager('tasks') }}
