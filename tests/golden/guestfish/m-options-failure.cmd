guestfish --ro -a demo.img -m /dev/sda1:/:bogus,opt
