{{ publish_rows('salesforce', 'contacts') }}
