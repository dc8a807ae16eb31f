{{ publish_rows('forcemanager', 'tasks') }}
