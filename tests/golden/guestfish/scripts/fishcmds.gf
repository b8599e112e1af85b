-alloc
-alloc x.img 1x
-sparse onlyone
-sparse x.img -1
-reopen now
-list-events x
-delete-event nosuch
-event
-event a bogus "echo x"
-event a close,bogus,trace "echo x"
event first close "echo closed"
event second * "echo all"
event first trace,progress "echo x"
event third l "echo launch"
list-events
delete-event first
list-events
-glob
glob echo a b
-copy-in
-copy-in onlyone
-copy-out
-copy-out onlyone
-edit
-vi a b
-more
-less a b
-display
-hexedit
-hexedit a 1 2 3
-man x
-time
-lcd
-echo
echo end
