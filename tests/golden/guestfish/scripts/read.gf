ls /
cat /etc/hostname
read-file /etc/hostname
read-lines /etc/passwd
exists /etc/nothere
is-file /etc/hostname
is-dir /etc/hostname
is-symlink /etc/localtime
readlink /etc/localtime
stat /home/user/hello.txt
lstat /etc/localtime
statns /home/user/hello.txt
lstatnslist /etc "hostname nosuch"
statvfs /
checksum sha256 /etc/hostname
download /etc/hostname -
find /home
-cat /etc/nothere
-ls /nothere
echo end
