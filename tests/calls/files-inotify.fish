# inotify on the scratch filesystem.
mount /dev/sdb1 /
available inotify
-inotify-add-watch / 4095
-inotify-read
-inotify-files
-inotify-rm-watch 1
-inotify-close
-inotify-init -1
inotify-init 0
mkdir /inotify_add_watch
inotify-add-watch /inotify_add_watch 4095
touch /inotify_add_watch/a
touch /inotify_add_watch/b
inotify-files
inotify-read
touch /inotify_add_watch/c
inotify-read
inotify-read
-inotify-add-watch /nonexistent 4095
-inotify-rm-watch 99
inotify-rm-watch 1
touch /inotify_add_watch/d
inotify-read
inotify-init 0
inotify-add-watch /inotify_add_watch 2
write /inotify_add_watch/a "x"
inotify-files
inotify-close
-inotify-close
-inotify-files
