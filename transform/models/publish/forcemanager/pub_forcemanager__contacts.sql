{{ publish_rows('forcemanager', 'contacts') }}
