guestfish --ro -a demo.img -m /dev/sda9
