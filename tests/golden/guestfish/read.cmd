guestfish --ro -a demo.img -i < scripts/read.gf
