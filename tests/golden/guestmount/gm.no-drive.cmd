rm -rf g4 && mkdir g4 && guestmount -i g4
