LIBGUESTFS_BACKEND=direct guestfish --ro -a demo.img -i < scripts/read-appliance.gf
