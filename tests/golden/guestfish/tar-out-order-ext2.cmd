guestfish --ro -a parts.img -m /dev/sda1 tar-out / - | tar -tf -
