# Augeas through the real library and lenses in the appliance: the per-call tests' /etc files
# on the scratch filesystem, every aug_* call, and Augeas's own errors.
echo == without a handle
mount /dev/sdb1 /
-aug-get /files/etc/hostname/hostname
-aug-ls /files
-aug-close
echo == hostname
mkdir /etc
write /etc/hostname "test.example.org"
aug-init / 0
aug-get /files/etc/hostname/hostname
aug-set /files/etc/hostname/hostname replace.example.com
aug-get /files/etc/hostname/hostname
aug-save
cat /etc/hostname
-aug-get /files/etc/hostname/nosuchnode
-aug-get /files/etc/*
-aug-get "/files/etc/hostname/hostname["
-aug-set "/files/etc/hostname/hostname[" x
aug-close
-aug-close
echo == hosts
write /etc/hosts ""
aug-init / 0
aug-insert /files/etc/hosts 1 false
aug-set /files/etc/hosts/1/ipaddr 127.0.0.1
aug-set /files/etc/hosts/1/canonical foobar
aug-clear /files/etc/hosts/1/canonical
aug-set /files/etc/hosts/1/canonical localhost
aug-save
cat /etc/hosts
-aug-insert /files/etc/hosts/nosuch 2 true
echo == matching and listing
write /etc/hosts "127.0.0.1 localhost\n192.168.0.1 gateway gw\n"
aug-init / 0
aug-ls /files/etc/hosts/1
aug-ls /files/etc/hosts
aug-match /files/etc/hosts/*/canonical
aug-match /files/etc/hosts/*[ipaddr='192.168.0.1']/alias
aug-match /files/etc/nosuch
aug-label /files/etc/hosts/2/alias
-aug-label /files/etc/hosts/9
-aug-label /files/etc/hosts/*
-aug-ls /files/etc/hosts/
-aug-ls /files/etc/hosts/*
-aug-match "/files/etc/hosts["
echo == variables and nodes
aug-defvar hosts /files/etc/hosts
aug-defvar gw "/files/etc/hosts/*[canonical='gateway']"
aug-get $gw/ipaddr
aug-defvar empty ""
aug-defnode newhost /files/etc/hosts/3/ipaddr 10.0.0.1
aug-defnode newhost /files/etc/hosts/3/ipaddr 10.0.0.2
aug-set /files/etc/hosts/3/canonical newhost
-aug-defvar bad "/files/etc/hosts["
-aug-defnode bad "/files/etc/hosts[" x
aug-setm /files/etc/hosts/* canonical renamed
aug-setm /files/etc/hosts/1 "" one
aug-match /files/etc/hosts/*/canonical
echo == moving and removing
aug-mv /files/etc/hosts/3 /files/etc/hosts/4
-aug-mv /files/etc/hosts/nosuch /files/etc/hosts/5
aug-rm /files/etc/hosts/2/alias
aug-rm /files/etc/hosts/nosuch
-aug-rm "/files/etc/hosts["
-aug-save
aug-get /augeas/files/etc/hosts/error
aug-set /files/etc/hosts/1 ""
aug-rm /files/etc/hosts/4
aug-save
cat /etc/hosts
echo == transforms and load errors
write /etc/custom.conf "key = value\n"
aug-transform Simplevars.lns /etc/custom.conf
aug-load
aug-get /files/etc/custom.conf/key
aug-transform Simplevars.lns /etc/custom.conf remove:true
aug-load
aug-match /files/etc/custom.conf
-aug-transform NoSuch.lns /etc/custom.conf
write /etc/fstab "garbage\n"
aug-init / 0
aug-match /augeas/files/etc/fstab/error
aug-get /augeas/files/etc/fstab/error/message
aug-get /augeas/files/etc/fstab/error/line
echo == flags
aug-init / 32
aug-match /files/etc/hosts
aug-load
aug-match /files/etc/hostname/*
aug-init / 1
aug-set /files/etc/hostname/hostname backup.example.com
aug-save
cat /etc/hostname.augsave
aug-init / 2
aug-set /files/etc/hostname/hostname new.example.com
aug-save
cat /etc/hostname.augnew
cat /etc/hostname
aug-close
-aug-init /nosuchdir 0
aug-close
