guestfish --ro -a demo.img -i < scripts/inspect.gf
