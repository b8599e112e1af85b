guestfish -a demo.img --format=raw
