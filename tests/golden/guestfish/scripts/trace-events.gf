event t trace 'echo TRACE: $1'
set-trace true
get-verbose
set-trace false
get-verbose
delete-event t
list-events
