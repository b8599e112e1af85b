guestfish --ro -a demo.img < scripts/events-appliance.gf
