rm -rf g4 && mkdir g4 && guestmount -a demo.img --ro g4
