# The daemon's own calls: debug and its subcommands with a fixed output, debug_upload, dmesg,
# drop_caches, filesystem_available, modprobe, sleep, utsname.
echo == debug
debug help ""
debug HELP ""
-debug nosuch ""
debug print "hello from the test"
-debug error 10
-debug error x
-debug error 2000000
debug setenv "GREETING hello"
-debug setenv "ONE"
debug sh "echo $GREETING; echo $root; echo $sd"
debug sh "echo out; echo err >&2"
-debug sh ""
-debug sh "echo failing >&2; exit 3"
debug spew 3
-debug spew x
debug progress 1
-debug progress 0
-debug progress "1 0"
-debug progress x
debug ls "/dev/null"
-debug ls "/nonexistent"
-debug ll "/nonexistent"
-debug ldd ""
-debug qtrace "/dev/sda maybe"
-debug device_speed "/dev/sda r"
-debug core_pattern ""
echo == bmap
mount /dev/sdb1 /
write /bmapped "some data"
debug bmap_file /bmapped
debug bmap ""
debug bmap_device /dev/sdb1
debug bmap ""
mkdir /bmapdir
debug bmap_file /bmapdir
debug bmap ""
-debug bmap_file /nonexistent
-debug bmap_file ""
-debug bmap "extra"
echo == debug_upload
debug-upload /dev/null /tmp/uploaded 0600
debug ls "/tmp/uploaded"
-debug-upload /dev/null /nonexistent/dir/file 0644
echo == dmesg and caches
dmesg | grep -c "Linux version"
drop-caches 1
drop-caches 3
-drop-caches 9
echo == filesystems and modules
filesystem-available ext2
filesystem-available btrfs
filesystem-available nosuchfs
-filesystem-available "ext2;"
-filesystem-available "../ext2"
modprobe loop
echo == sleep and utsname
sleep 1
sleep 0
utsname | grep -E 'uts_sysname|uts_machine'
