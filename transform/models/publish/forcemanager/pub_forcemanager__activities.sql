{{ publish_rows('forcemanager', 'activities') }}
