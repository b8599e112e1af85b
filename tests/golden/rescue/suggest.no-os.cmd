rm -f r1.img && truncate -s 20M r1.img && /sbin/mkfs.ext4 -q -F -L data r1.img && virt-rescue --suggest -a r1.img
