{{ publish_rows('forcemanager', 'events') }}
