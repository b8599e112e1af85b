cp demo.img rw.img && guestfish -a rw.img -i ls / && rm rw.img
