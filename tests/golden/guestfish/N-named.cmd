guestfish -N my.img=part:16M:gpt part-get-parttype /dev/sda : part-list /dev/sda && ls my.img
