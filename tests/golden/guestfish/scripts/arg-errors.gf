-set-memsize 1024 2
-mount
-set-trace maybe
-set-trace YES
get-trace
-set-trace off
get-trace
-set-memsize 1.5
-set-memsize 99999999999
-set-memsize ""
-set-memsize 08
-disk-create /nonexistent/x raw 9999999999999999999999
-disk-create /nonexistent/x raw 99999999999G
-add-drive /dev/null readonly:xyz
-add-drive /dev/null foo:bar
-add-drive /dev/null readonly:true readonly:false
-add-drive /dev/null blocksize:1x
-add-drive /dev/null blocksize:99999999999
-feature-available "'lvm2 xz"
-nosuch
-MOUNT-RO
-mount_ro a
-add-drive-opts
-mkfs-opts
-help a b
-help nosuch
help help
help QUIT
help exit
echo end
