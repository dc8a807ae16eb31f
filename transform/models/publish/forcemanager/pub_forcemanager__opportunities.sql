{{ publish_rows('forcemanager', 'opportunities') }}
