event ld launch_done "echo launched"
event cl close 'echo closed: $EVENT'
event en enter 'echo enter: $1'
run
list-events
delete-event en
list-filesystems
