guestfish --ro -a parts.img -m /dev/sda1 readdir /etc
