rm -rf g5 && mkdir g5 && guestunmount -q g5
