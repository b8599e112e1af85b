guestfish --ro -a gpt.img -m /dev/sda1 tar-out / - | tar -tf -
