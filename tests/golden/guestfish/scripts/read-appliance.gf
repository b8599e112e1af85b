filesize /etc/os-release
hexdump /etc/hostname
head-n 2 /etc/passwd
tail-n 1 /etc/passwd
glob echo /etc/host*
glob echo /etc/nomatch* /home/*
readdir /home/user
