{{ stage_forcemanager('opportunities') }}
