guestmount --live -a demo.img -i g4
