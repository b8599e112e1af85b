guestmount -a demo.img -i --ro nosuch-dir
