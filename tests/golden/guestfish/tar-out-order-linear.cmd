guestfish --ro -a parts.img -m /dev/sda5 tar-out /many - | tar -tf -
