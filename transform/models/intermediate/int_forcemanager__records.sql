{#- Every ForceManager record of a synced object, deleted ones included, with its link field. -#}
{{ synced_records('forcemanager') }}
