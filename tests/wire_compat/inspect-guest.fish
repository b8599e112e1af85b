# Builds the small Linux guest that inspect.fish inspects (guestfish -a guest.img).
run
part-disk /dev/sda mbr
mkfs ext4 /dev/sda1
mount /dev/sda1 /
mkdir-p /etc
mkdir-p /bin
mkdir-p /var/log/journal
write /etc/fstab "/dev/sda1 / ext4 defaults 0 1\n"
write /etc/os-release "NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
write /etc/debian_version "12.5\n"
write /etc/hostname "wire-compat\n"
upload /bin/ls /bin/ls
! perl -e '$h="regf".pack("VVx8VVVVVVV",1,1,1,3,0,1,0x20,0x1000,1); $h.="\0"x(0x1fc-length $h); $c=0; $c^=$_ for unpack("V127",$h); $h.=pack("V",$c); $h.="\0"x(0x1000-length $h); $b="hbin".pack("VV",0,0x1000)."\0"x20; $b.=pack("l",-0x58)."nk".pack("vx8VVVVVVVVVVVVVVVvv",0x2c,0,0,0,0,0xffffffff,0xffffffff,0,0xffffffff,0x78,0xffffffff,0,0,0,0,0,4,0)."ROOT"."\0"x4; $b.=pack("l",-0x30)."sk".pack("vVVVV",0,0x78,0x78,1,20).pack("CCvVVVV",1,0,0x8000,0,0,0,0)."\0"x4; $b.=pack("l",0x1000-length $b); $b.="\0"x(0x1000-length $b); print $h.$b' > minimal.hive
upload minimal.hive /minimal.hive
