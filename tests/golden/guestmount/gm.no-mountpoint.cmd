guestmount -a demo.img -i --ro
