guestfish --ro -a fedora.img -i tar-out / - | tar -tf -
