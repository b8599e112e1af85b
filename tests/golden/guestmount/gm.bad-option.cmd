rm -rf g4 && mkdir g4 && guestmount -a demo.img -i --ro -o no_such_option g4
