guestfish --ro -a demo.img run < scripts/devices.gf
