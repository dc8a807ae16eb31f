{{ publish_rows('forcemanager', 'accounts') }}
