guestfish --ro -a parts.img -i
