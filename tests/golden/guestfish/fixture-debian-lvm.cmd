guestfish --ro -a debian.img -i inspect-get-mountpoints /dev/debian/root : lvs : pvs : vgs : lvs-full
