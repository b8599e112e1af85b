rm -rf g3 && mkdir g3 && touch g3/x && guestmount -a demo.img -i --ro g3
