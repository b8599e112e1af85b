rm -rf g4 && mkdir g4 && guestmount -a nosuch.img -i --ro g4
